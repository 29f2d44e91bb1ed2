"""FoldedClassifier and FoldedRoIScores: the frozen TDE against the reference and by hand."""
import math

import pytest
import torch
from _reference import reference_logits, softmax

from mmcausal.causal import CLASSIFIERS, CausalClassifier
from mmcausal.deployment import FoldedClassifier, FoldedRoIScores


def trained_classifier(variant: str, num_heads: int = 2) -> CausalClassifier:
    """A float64 classifier of 6 channels and 4 classes with a random head direction."""
    torch.manual_seed(0)
    classifier = CausalClassifier(6, 4, classifier=variant, num_heads=num_heads).double()
    classifier.direction.vector.copy_(torch.randn(6, dtype=torch.float64))
    return classifier


# TDE is undefined for 'linear' (its refusal is tested below)
CASES = [(variant, num_heads, alpha) for variant in CLASSIFIERS for num_heads in (1, 2)
         for alpha in ((0.0, ) if variant == 'linear' else (0.0, 1.5))]


@pytest.mark.parametrize('variant,num_heads,alpha', CASES)
def test_folded_logits_match_the_reference(variant, num_heads, alpha):
    classifier = trained_classifier(variant, num_heads)
    folded = FoldedClassifier(classifier, alpha)
    x = 3 * torch.randn(5, 6, dtype=torch.float64)
    bias = None if classifier.bias is None else classifier.bias.detach()
    expected = reference_logits(x, classifier.weight.detach(), classifier.direction.vector,
                                variant, num_heads, alpha, classifier.tau, classifier.gamma, bias)
    torch.testing.assert_close(folded(x), expected, rtol=0, atol=1e-9)
    assert dict(folded.named_parameters()) == {}
    assert classifier.alpha == 0.0 and classifier.training  # the source is left as it was


def test_folded_weight_by_hand():
    """K=1, tau=2, gamma=0.5, classes w = (1, 0), (0, 2), head direction d = (2, 0), x = (3, 4).

    w^ = tau w / (|w| + gamma) = (4/3, 0), (0, 1.6); with d^ = (1, 0) and alpha = 1,
    v = w^ - (w^ . d^) d^ = (0, 0), (0, 1.6); x^ = (0.6, 0.8) gives TDE = (0, 1.28), while
    z = x^ . w^ = (0.8, 1.28).
    """
    classifier = CausalClassifier(2, 2, num_heads=1, tau=2.0, gamma=0.5)
    with torch.no_grad():
        classifier.weight.copy_(torch.tensor([[1., 0.], [0., 2.]]))
        classifier.direction.vector.copy_(torch.tensor([2., 0.]))
    x = torch.tensor([[3., 4.]])

    tde, z = FoldedClassifier(classifier, 1.0), FoldedClassifier(classifier, 0.0)

    torch.testing.assert_close(tde.weight, torch.tensor([[0., 0.], [0., 1.6]]))
    torch.testing.assert_close(tde(x), torch.tensor([[0., 1.28]]))
    torch.testing.assert_close(z(x), torch.tensor([[0.8, 1.28]]))


def test_zero_head_direction_is_refused_for_tde_only():
    classifier = CausalClassifier(6, 4)
    with pytest.raises(ValueError, match=r'alpha=1.0 needs the head direction, which is zero.*'
                       r'alpha=0 for the de-confounded logits'):
        FoldedClassifier(classifier, 1.0)
    assert FoldedClassifier(classifier, 0.0).weight.shape == (4, 6)


def test_linear_refuses_alpha_and_negative_alpha_is_refused():
    with pytest.raises(ValueError, match=r"alpha=1.0 needs a normalized classifier"):
        FoldedClassifier(trained_classifier('linear'), 1.0)
    with pytest.raises(ValueError, match=r'alpha=-1.0 must be >= 0'):
        FoldedClassifier(trained_classifier('deconfound'), -1.0)


def roi_classifier() -> CausalClassifier:
    """The classifier of the hand case above with a background class (1, 1) appended."""
    classifier = CausalClassifier(2, 3, num_heads=1, tau=2.0, gamma=0.5)
    with torch.no_grad():
        classifier.weight.copy_(torch.tensor([[1., 0.], [0., 2.], [1., 1.]]))
        classifier.direction.vector.copy_(torch.tensor([2., 0.]))
    return classifier


def test_roi_scores_are_eq9_by_hand():
    """z and TDE of x = (3, 4) for classes 0, 1, background; Eq. 9 keeps softmax(z)'s p_bg."""
    norms = [1.5, 2.5, math.sqrt(2) + 0.5]
    z = [2 * wx / n for wx, n in zip([0.6, 1.6, 1.4], norms)]
    tde = [zi - 2 * 0.6 * wd / n for zi, wd, n in zip(z, [1.0, 0.0, 1.0], norms)]
    p, q = softmax(z), softmax(tde)
    expected = [(1 - p[2]) * q[0] / (1 - q[2]), (1 - p[2]) * q[1] / (1 - q[2]), p[2]]
    x = torch.tensor([[3., 4.]])

    exempted = FoldedRoIScores(roi_classifier(), 1.0, background_exempted=True)
    plain = FoldedRoIScores(roi_classifier(), 1.0, background_exempted=False)
    at_zero = FoldedRoIScores(roi_classifier(), 0.0, background_exempted=True)

    assert exempted(x)[0].tolist() == pytest.approx(expected, abs=1e-6)
    assert plain(x)[0].tolist() == pytest.approx(q, abs=1e-6)
    assert at_zero(x)[0].tolist() == pytest.approx(p, abs=1e-6)
    assert at_zero.z is None and plain.z is None  # one matmul where Eq. 9 is off
