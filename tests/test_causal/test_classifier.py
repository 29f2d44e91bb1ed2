"""CausalClassifier against a hand-written per-sample, per-class, per-group loop."""
import math

import pytest
import torch

from mmcausal.causal import CausalClassifier

TAU, GAMMA = 16.0, 1 / 32


def reference_logits(x, w, d, classifier, num_heads, alpha):
    """The paper's formulas (Eq. 7, 8, 10), one sample, class and group at a time, in floats."""
    x, w, d = x.tolist(), w.tolist(), d.tolist()
    g = len(x[0]) // num_heads

    def dot(a, b):
        return sum(p * q for p, q in zip(a, b))

    out = []
    for xs in x:
        row = []
        for ws in w:
            total = 0.0
            for k in range(num_heads):
                xk, wk, dk = (v[k * g:(k + 1) * g] for v in (xs, ws, d))
                x_norm, w_norm, d_norm = (math.sqrt(dot(v, v)) for v in (xk, wk, dk))
                if classifier == 'capsule':
                    nx = [v / (x_norm + 1) for v in xk]
                else:
                    nx = [v / x_norm for v in xk]
                weight_norm = w_norm + GAMMA if classifier == 'deconfound' else w_norm
                term = dot(wk, nx)
                if alpha:
                    d_hat = [v / d_norm for v in dk]
                    if classifier == 'deconfound':  # the brief's form: alpha cos(x_k, d_k) w.d^
                        term -= alpha * dot(xk, dk) / (x_norm * d_norm) * dot(wk, d_hat)
                    else:  # projection of n(x_k) on d^_k
                        term -= alpha * dot(nx, d_hat) * dot(wk, d_hat)
                total += term / weight_norm
            row.append(TAU / num_heads * total)
        out.append(row)
    return torch.tensor(out, dtype=torch.float64)


def make_classifier(classifier, num_heads=2, alpha=0.0, gamma=GAMMA, channels=6, classes=4):
    torch.manual_seed(0)
    clf = CausalClassifier(channels, classes, classifier=classifier, num_heads=num_heads,
                           tau=TAU, gamma=gamma, alpha=alpha).double()
    clf.direction.direction.copy_(torch.randn(channels, dtype=torch.float64))
    return clf


@pytest.mark.parametrize('classifier', ['cosine', 'capsule', 'deconfound'])
@pytest.mark.parametrize('num_heads', [1, 2, 3])
def test_logits_match_reference(classifier, num_heads):
    clf = make_classifier(classifier, num_heads)
    x = torch.randn(5, 6, dtype=torch.float64) * 3
    expected = reference_logits(x, clf.weight.detach(), clf.direction.direction, classifier,
                                num_heads, alpha=0)
    torch.testing.assert_close(clf.train()(x), expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(clf.eval()(x), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize('classifier', ['cosine', 'capsule', 'deconfound'])
@pytest.mark.parametrize('num_heads', [1, 2])
def test_tde_matches_reference(classifier, num_heads):
    clf = make_classifier(classifier, num_heads, alpha=1.5).eval()
    x = torch.randn(5, 6, dtype=torch.float64) * 3
    expected = reference_logits(x, clf.weight.detach(), clf.direction.direction, classifier,
                                num_heads, alpha=1.5)
    with torch.no_grad():
        torch.testing.assert_close(clf(x), expected, rtol=0, atol=1e-6)
        z, c = clf.logit_terms(x)
        torch.testing.assert_close(z - 1.5 * c, expected, rtol=0, atol=1e-6)
    # Training always uses the de-confounded logits z, whatever alpha is.
    z_reference = reference_logits(x, clf.weight.detach(), clf.direction.direction, classifier,
                                   num_heads, alpha=0)
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
    expected = reference_logits(x, clf.weight.detach(), clf.direction.direction, 'deconfound', 2,
                                alpha=3.0)
    torch.testing.assert_close(clf(x), expected, rtol=0, atol=1e-6)
    assert not torch.allclose(clf(x), z)


def test_linear_is_plain_affine():
    clf = make_classifier('linear')
    clf.bias.data.copy_(torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64))
    x = torch.randn(3, 6, dtype=torch.float64)
    expected = torch.tensor([[sum(a * b for a, b in zip(xs, ws)) + bias
                              for ws, bias in zip(clf.weight.tolist(), clf.bias.tolist())]
                             for xs in x.tolist()], dtype=torch.float64)
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
    clf.direction.direction.zero_()
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
