"""Post-hoc logit adjustment against a hand computation."""
import math

import pytest
import torch

from mmcausal.evaluation.logit_adjustment import adjusted_logits, log_prior


def test_log_prior_by_hand():
    # counts 6, 3, 1: p = 0.6, 0.3, 0.1
    assert log_prior([6, 3, 1]).tolist() == pytest.approx(
        [math.log(0.6), math.log(0.3), math.log(0.1)], abs=1e-6)


def test_adjustment_moves_a_prediction_to_the_rare_class():
    logits = torch.tensor([[2.0, 1.0, 0.5],
                           [0.0, 3.0, 0.0]])
    counts = [6, 3, 1]
    # t = 1: row 0 -> 2 - ln 0.6 = 2.5108, 1 - ln 0.3 = 2.2040, 0.5 - ln 0.1 = 2.8026 -> class 2
    #        row 1 -> 0.5108, 4.2040, 2.3026 -> class 1
    expected = torch.tensor([[2.5108, 2.2040, 2.8026], [0.5108, 4.2040, 2.3026]])
    adjusted = adjusted_logits(logits, counts, t=1.0)
    assert torch.allclose(adjusted, expected, atol=1e-4)
    assert adjusted.argmax(1).tolist() == [2, 1]
    # t = 0.5: row 0 -> 2.2554, 1.6020, 1.6513 -> class 0
    assert adjusted_logits(logits, counts, t=0.5).argmax(1).tolist() == [0, 1]


def test_t_zero_gives_the_plain_predictions():
    logits = torch.randn(50, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(adjusted_logits(logits, [100, 10, 5, 1], t=0.0), logits)


@pytest.mark.parametrize('counts', [[5, 0, 2], [], [[1, 2]]])
def test_counts_without_a_prior_are_refused(counts):
    with pytest.raises(ValueError, match='one count >= 1 per class'):
        log_prior(counts)
