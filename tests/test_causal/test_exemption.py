"""Background-exempted scores (paper Eq. 9) against a hand computation."""
import math

import torch
from _reference import softmax

from mmcausal.causal import background_exempted_scores


def test_matches_hand_computation():
    z = [[2.0, 0.5, -1.0, 1.0], [0.0, 0.0, 0.0, 3.0]]
    tde = [[0.5, 1.5, 0.0, 2.0], [1.0, -1.0, 2.0, 0.0]]
    expected = []
    for z_row, tde_row in zip(z, tde):
        p, q = softmax(z_row), softmax(tde_row)
        p_bg, q_bg = p[-1], q[-1]
        expected.append([(1 - p_bg) * q_i / (1 - q_bg) for q_i in q[:-1]] + [p_bg])
    scores = background_exempted_scores(torch.tensor(z, dtype=torch.float64),
                                        torch.tensor(tde, dtype=torch.float64))
    torch.testing.assert_close(scores, torch.tensor(expected, dtype=torch.float64), rtol=0,
                               atol=1e-12)
    torch.testing.assert_close(scores.sum(-1), torch.ones(2, dtype=torch.float64))


def test_background_keeps_de_confounded_probability():
    z, tde = torch.randn(6, 5), torch.randn(6, 5) * 4
    scores = background_exempted_scores(z, tde)
    torch.testing.assert_close(scores[:, -1], z.softmax(-1)[:, -1])
    torch.testing.assert_close(scores.sum(-1), torch.ones(6))


def test_same_logits_give_plain_softmax():
    z = torch.randn(4, 7, dtype=torch.float64)
    torch.testing.assert_close(background_exempted_scores(z, z), z.softmax(-1), rtol=0,
                               atol=1e-15)


def test_confident_tde_background_stays_finite():
    # q_bg rounds to 1 in float32; 1 - q_bg would be 0 and the scores NaN.
    z = torch.tensor([[0.0, 1.0, 0.0]])
    tde = torch.tensor([[-30.0, -31.0, 30.0]])
    scores = background_exempted_scores(z, tde)
    assert torch.isfinite(scores).all()
    p = z.softmax(-1)[0]
    ratio = math.exp(1.0) / (1 + math.exp(1.0))  # q_0 / (q_0 + q_1), exact in float64
    torch.testing.assert_close(scores[0, 0], (1 - p[2]) * ratio)
