"""TDEClsHead in mmpretrain: config errors, training records, TDE prediction, checkpoints."""
import re
import warnings

import numpy as np
import pytest
import torch
from _reference import reference_logits
from _toy import (CHANNELS, IMAGE_SIZE, NUM_CLASSES, ToyImages, build_runner, dataloader,
                  direction_of, model_cfg)
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpretrain.apis import ImageClassificationInferencer
from mmpretrain.registry import MODELS

DIRECTION_KEY = 'head.classifier.direction.direction'


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def build_head(**kwargs):
    cfg = dict(type='TDEClsHead', num_classes=NUM_CLASSES, in_channels=CHANNELS)
    return MODELS.build({**cfg, **kwargs})


def hand_logits(head, x: torch.Tensor, alpha: float) -> torch.Tensor:
    """The reference logits (tests/_reference.py) of the head's classifier for features x."""
    clf = head.classifier
    bias = None if clf.bias is None else clf.bias.detach()
    return reference_logits(x.detach(), clf.weight.detach(), clf.direction.vector, clf.variant,
                            clf.num_heads, alpha, clf.tau, clf.gamma, bias)


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_classes=0), 'num_classes=0 must be a positive integer'),
    (dict(in_channels=10, num_heads=3), 'in_channels=10 is not divisible by num_heads=3'),
    (dict(classifier='cosin'), "classifier='cosin' is unknown"),
    (dict(tau=0.0), 'tau=0.0 must be > 0'),
    (dict(gamma=-0.1), 'gamma=-0.1 must be >= 0'),
    (dict(alpha=-1.0), 'alpha=-1.0 must be >= 0'),
    (dict(classifier='linear', alpha=1.0), "TDE is undefined for classifier='linear'"),
])
def test_bad_config_names_the_field(kwargs, message):
    with pytest.raises(ValueError, match=f'TDEClsHead: .*{re.escape(message)}'):
        build_head(**kwargs)


def test_gamma_zero_is_valid():
    head = build_head(gamma=0.0, alpha=1.0)
    head.classifier.direction.vector.copy_(torch.arange(1.0, CHANNELS + 1))
    head.eval()
    x = torch.randn(2, CHANNELS)
    torch.testing.assert_close(head((x, )).double(), hand_logits(head, x, 1.0), rtol=0, atol=1e-5)


def test_unpooled_features_are_rejected():
    head = build_head()
    message = r'expected features of shape \(N, 8\), got \(2, 8, 3, 3\).*GlobalAveragePooling'
    with pytest.raises(ValueError, match=message):
        head((torch.randn(2, CHANNELS, 3, 3), ))


def test_training_records_finite_rows_and_evaluation_records_nothing():
    head = build_head()
    d = head.classifier.direction.vector
    x = torch.randn(4, CHANNELS)
    x[1, 3] = float('nan')
    x[2, 0] = float('inf')
    with pytest.warns(UserWarning, match='dropped 2 of 4 feature rows'):
        head((x, ))
    head.classifier.direction.update(0.5)
    expected = x[[0, 3]].double().mean(0)
    torch.testing.assert_close(d.double(), expected, rtol=0, atol=1e-6)

    head.eval()
    head((torch.randn(3, CHANNELS), ))
    head.classifier.direction.update(0.5)  # nothing was recorded: d stays
    torch.testing.assert_close(d.double(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_features_accumulate_in_float(dtype):
    """40 rows near 2000 sum to ~80000: past float16's max (65504), in bfloat16 steps of 512."""
    head = build_head()
    d = head.classifier.direction.vector
    x = (2000 + torch.arange(40.0)).repeat(CHANNELS, 1).t().to(dtype)
    with torch.autocast('cpu', dtype=dtype):
        head((x, ))
    head.classifier.direction.update(0.0)
    assert d.dtype == torch.float32
    torch.testing.assert_close(d.double(), x.double().mean(0), rtol=0, atol=1e-4)


@pytest.mark.parametrize('classifier', ['cosine', 'capsule', 'deconfound'])
def test_image_classifier_predict_scores_are_softmax_of_hand_tde(classifier):
    model = MODELS.build(model_cfg(classifier=classifier, alpha=2.0))
    head = model.head
    head.classifier.direction.vector.copy_(torch.linspace(-1.0, 2.0, CHANNELS))
    model.eval()
    features = []
    head.register_forward_pre_hook(lambda module, args: features.append(args[0][-1]))
    images = ToyImages(5).images

    samples = model.predict(images)

    scores = torch.stack([sample.pred_score for sample in samples]).double()
    tde = hand_logits(head, features[0], alpha=2.0)
    torch.testing.assert_close(scores, tde.softmax(dim=1), rtol=0, atol=1e-6)
    assert [int(s.pred_label) for s in samples] == tde.argmax(1).tolist()
    assert (tde - hand_logits(head, features[0], alpha=0.0)).abs().max() > 0.1  # TDE differs from z


def test_zero_direction_with_alpha_warns_and_predicts_z():
    model = MODELS.build(model_cfg(alpha=2.0)).eval()
    features = []
    model.head.register_forward_pre_hook(lambda module, args: features.append(args[0][-1]))
    with pytest.warns(UserWarning, match='head direction is still zero'):
        samples = model.predict(ToyImages(3).images)
    scores = torch.stack([sample.pred_score for sample in samples]).double()
    expected = hand_logits(model.head, features[0], alpha=0.0).softmax(dim=1)
    torch.testing.assert_close(scores, expected, rtol=0, atol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model.predict(ToyImages(3).images)
    assert not [w for w in caught if 'still zero' in str(w.message)]  # warned once


@pytest.mark.parametrize('classifier, alpha', [('linear', 0.0), ('cosine', 1.0),
                                               ('capsule', 1.0), ('deconfound', 2.0)])
def test_every_variant_trains_and_tests_in_a_runner(tmp_path, classifier, alpha):
    test_set = ToyImages(6)
    runner = build_runner(
        tmp_path, head=dict(classifier=classifier, alpha=alpha), max_iters=2,
        test_dataloader=dataloader(test_set, batch_size=6), test_cfg=dict(),
        test_evaluator=dict(type='Accuracy', topk=(1, )))
    runner.train()
    head = runner.model.head
    if classifier != 'linear':
        assert direction_of(runner.model).abs().sum() > 0

    features = []
    head.register_forward_pre_hook(lambda module, args: features.append(args[0][-1]))
    metrics = runner.test()

    predicted = hand_logits(head, features[0], alpha).argmax(dim=1)
    expected_accuracy = 100 * (predicted == test_set.labels).double().mean().item()
    assert metrics['accuracy/top1'] == pytest.approx(expected_accuracy, abs=1e-4)


def test_save_load_predict_is_bit_identical(tmp_path):
    runner = build_runner(tmp_path, head=dict(alpha=2.0), max_iters=2)
    runner.train()
    trained = runner.model.eval()
    loaded = MODELS.build(model_cfg(alpha=2.0))
    load_checkpoint(loaded, str(tmp_path / 'iter_2.pth'), map_location='cpu')
    loaded.eval()

    assert not loaded.head.classifier.direction.is_zero
    assert torch.equal(direction_of(loaded), direction_of(trained))
    images = ToyImages(5).images
    for a, b in zip(trained.predict(images), loaded.predict(images)):
        assert torch.equal(a.pred_score, b.pred_score)


@pytest.mark.parametrize('classifier, keys', [
    ('linear', ['classifier.weight', 'classifier.bias', 'classifier.direction.direction']),
    ('deconfound', ['classifier.weight', 'classifier.direction.direction']),
])
def test_state_dict_keys_of_trained_checkpoints_load(classifier, keys):
    """Users' checkpoints store the head under these keys, the head direction included."""
    head = build_head(classifier=classifier)
    assert list(head.state_dict()) == keys
    state = {key: torch.rand_like(value) for key, value in head.state_dict().items()}
    head.load_state_dict(state, strict=True)
    assert torch.equal(head.classifier.direction.vector, state['classifier.direction.direction'])


def test_checkpoint_without_direction_loads_with_warning_and_zero_d(tmp_path):
    model = MODELS.build(model_cfg(alpha=2.0))
    model.head.classifier.direction.vector.fill_(1.0)
    state = model.state_dict()
    del state[DIRECTION_KEY]
    torch.save(dict(state_dict=state), tmp_path / 'old.pth')

    loaded = MODELS.build(model_cfg(alpha=2.0))
    loaded.head.classifier.direction.vector.fill_(3.0)
    with pytest.warns(UserWarning, match='checkpoint has no head direction'):
        load_checkpoint(loaded, str(tmp_path / 'old.pth'), map_location='cpu')
    assert torch.equal(direction_of(loaded), torch.zeros(CHANNELS))
    assert torch.equal(loaded.head.classifier.weight, model.head.classifier.weight)


def test_inferencer_with_alpha_from_cfg_options(tmp_path):
    """A config file + checkpoint, alpha set like ``--cfg-options model.head.alpha=2.0``."""
    runner = build_runner(tmp_path, max_iters=2)
    runner.train()
    config = tmp_path / 'toy_tde.py'
    config.write_text(
        f'model = {model_cfg()!r}\n'
        'test_dataloader = dict(dataset=dict(type="CustomDataset", pipeline=['
        'dict(type="LoadImageFromFile"), dict(type="PackInputs")]))\n')
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({'model.head.alpha': 2.0})

    inferencer = ImageClassificationInferencer(cfg, pretrained=str(tmp_path / 'iter_2.pth'),
                                               device='cpu')
    head = inferencer.model.head
    assert head.classifier.alpha == 2.0
    assert torch.equal(direction_of(inferencer.model), direction_of(runner.model))
    features = []
    head.register_forward_pre_hook(lambda module, args: features.append(args[0][-1]))
    image = np.random.default_rng(0).integers(0, 256, (IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)

    result, = inferencer(image)

    expected = hand_logits(head, features[0], alpha=2.0).softmax(dim=1)[0]
    np.testing.assert_allclose(result['pred_scores'], expected.numpy(), rtol=0, atol=1e-6)
    assert result['pred_label'] == int(expected.argmax())
