"""CausalClassifier against the per-sample, per-class, per-group loop of tests/_reference.py."""
import pytest
import torch
from _reference import reference_logits

from mmcausal.causal import CLASSIFIERS, VARIANTS, CausalClassifier

TAU, GAMMA = 16.0, 1 / 32
NORMALIZED = [variant for variant in CLASSIFIERS if VARIANTS[variant] is not None]


def reference(clf, x, alpha):
    """The reference logits of ``clf``'s weight and head direction for features x."""
    bias = None if clf.bias is None else clf.bias.detach()
    return reference_logits(x, clf.weight.detach(), clf.direction.vector, clf.variant,
                            clf.num_heads, alpha, clf.tau, clf.gamma, bias)


def make_classifier(classifier, num_heads=2, alpha=0.0, gamma=GAMMA, channels=6, classes=4):
    torch.manual_seed(0)
    clf = CausalClassifier(channels, classes, classifier=classifier, num_heads=num_heads,
                           tau=TAU, gamma=gamma, alpha=alpha).double()
    clf.direction.vector.copy_(torch.randn(channels, dtype=torch.float64))
    return clf


@pytest.mark.parametrize('classifier', NORMALIZED)
@pytest.mark.parametrize('num_heads', [1, 2, 3])
def test_logits_match_reference(classifier, num_heads):
    clf = make_classifier(classifier, num_heads)
    x = torch.randn(5, 6, dtype=torch.float64) * 3
    expected = reference(clf, x, alpha=0)
    torch.testing.assert_close(clf.train()(x), expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(clf.eval()(x), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize('classifier', NORMALIZED)
@pytest.mark.parametrize('num_heads', [1, 2])
def test_tde_matches_reference(classifier, num_heads):
    clf = make_classifier(classifier, num_heads, alpha=1.5).eval()
    x = torch.randn(5, 6, dtype=torch.float64) * 3
    expected = reference(clf, x, alpha=1.5)
    with torch.no_grad():
        torch.testing.assert_close(clf(x), expected, rtol=0, atol=1e-6)
        z, c = clf.logit_terms(x)
        torch.testing.assert_close(z - 1.5 * c, expected, rtol=0, atol=1e-6)
    # Training always uses the de-confounded logits z, whatever alpha is.
    z_reference = reference(clf, x, alpha=0)
    torch.testing.assert_close(clf.train()(x), z_reference, rtol=0, atol=1e-6)


def test_alpha_zero_gives_z_exactly():
    x = torch.randn(4, 6, dtype=torch.float64)
    with_tde = make_classifier('deconfound', alpha=2.0).eval()
    without = make_classifier('deconfound', alpha=0.0).eval()
    z, _ = with_tde.logit_terms(x)
    assert torch.equal(without(x), z)
    assert not torch.allclose(with_tde(x), z)


def test_alpha_can_change_after_construction():
    clf = make_classifier('deconfound', alpha=0.0).eval()
    x = torch.randn(3, 6, dtype=torch.float64)
    z = clf(x)
    clf.alpha = 3.0
    expected = reference(clf, x, alpha=3.0)
    torch.testing.assert_close(clf(x), expected, rtol=0, atol=1e-6)
    assert not torch.allclose(clf(x), z)


def test_linear_is_plain_affine():
    clf = make_classifier('linear')
    clf.bias.data.copy_(torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64))
    x = torch.randn(3, 6, dtype=torch.float64)
    expected = reference(clf, x, alpha=0)
    torch.testing.assert_close(clf.eval()(x), expected, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="TDE terms are undefined for classifier='linear'"):
        clf.logit_terms(x)


def test_gamma_zero_is_valid_and_equals_cosine():
    x = torch.randn(4, 6, dtype=torch.float64)
    deconfound = make_classifier('deconfound', gamma=0.0)
    cosine = make_classifier('cosine')
    torch.testing.assert_close(deconfound(x), cosine(x), rtol=0, atol=1e-12)
    deconfound.weight.data[1].zero_()  # a dead class weight must not produce NaN with gamma=0
    assert torch.isfinite(deconfound(x)).all()
    assert torch.equal(deconfound(x)[:, 1], torch.zeros(4, dtype=torch.float64))


def test_zero_feature_gives_zero_logits_not_nan():
    clf = make_classifier('deconfound', alpha=1.0).eval()
    out = clf(torch.zeros(2, 6, dtype=torch.float64))
    assert torch.equal(out, torch.zeros(2, 4, dtype=torch.float64))


def test_zero_direction_warns_once_and_predicts_z():
    clf = make_classifier('deconfound', alpha=1.0).eval()
    clf.direction.vector.zero_()
    x = torch.randn(3, 6, dtype=torch.float64)
    with pytest.warns(UserWarning, match='head direction is still zero'):
        out = clf(x)
    z, _ = clf.logit_terms(x)
    assert torch.equal(out, z)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        clf(x)  # warned once only


@pytest.mark.parametrize('kwargs, message', [
    (dict(in_channels=7, num_heads=2), 'in_channels=7 is not divisible by num_heads=2'),
    (dict(classifier='cosin'), "classifier='cosin' is unknown"),
    (dict(tau=0.0), 'tau=0.0 must be > 0'),
    (dict(gamma=-0.1), 'gamma=-0.1 must be >= 0'),
    (dict(alpha=-1.0), 'alpha=-1.0 must be >= 0'),
    (dict(alpha=float('nan')), 'alpha=nan must be >= 0'),
    (dict(classifier='linear', alpha=1.0), "undefined for classifier='linear'"),
])
def test_bad_arguments_name_the_field(kwargs, message):
    args = {**dict(in_channels=6, num_classes=3, field_prefix='TDEClsHead'), **kwargs}
    with pytest.raises(ValueError, match=f'TDEClsHead: .*{message}'.replace('(', r'\(')):
        CausalClassifier(**args)


@pytest.mark.parametrize('classifier, keys', [
    ('linear', ['weight', 'bias', 'direction.direction']),
    ('deconfound', ['weight', 'direction.direction']),
])
def test_state_dict_keys_and_attributes(classifier, keys):
    """Checkpoints store these keys; the head direction vector is ``direction.vector``."""
    clf = make_classifier(classifier)
    assert list(clf.state_dict()) == keys
    assert clf.variant == classifier and clf.is_linear == (classifier == 'linear')
    assert clf.direction.vector is clf.direction.direction
    loaded = CausalClassifier(6, 4, classifier=classifier).double()
    loaded.load_state_dict({key: value.clone() for key, value in clf.state_dict().items()})
    assert torch.equal(loaded.direction.vector, clf.direction.vector)
