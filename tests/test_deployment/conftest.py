import pytest
from _digits import load_digits_model, train_digits


@pytest.fixture(scope='session')
def trained_digits(tmp_path_factory):
    """``get(classifier, num_heads)`` -> (eval-mode model, checkpoint) of the digits ResNet-8
    trained with that classifier variant and K, trained once per session on first use."""
    models = {}

    def get(classifier: str, num_heads: int):
        if (classifier, num_heads) not in models:
            work_dir = tmp_path_factory.mktemp(f'{classifier}-k{num_heads}')
            checkpoint, options = train_digits(str(work_dir), classifier, num_heads)
            models[classifier, num_heads] = load_digits_model(checkpoint, options), checkpoint
        return models[classifier, num_heads]

    return get
