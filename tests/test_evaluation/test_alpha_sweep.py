"""Scoring an alpha grid in memory: TDE's predictions ``argmax (z - alpha c)``
(paper Eq. 8) scored by LongTailAccuracy, and the choice of the best alpha."""
import pytest
import torch

from mmcausal.evaluation import LongTailAccuracy
from mmcausal.evaluation.alpha_sweep import (best_alpha_index, choose_correction, format_sweep,
                                             selection_score, sweep_alphas)


def test_sweep_scores_each_alpha_by_hand():
    # classes 0, 1, 2 trained on 200 (many), 50 (medium), 5 (few) images; one test image each
    metric = LongTailAccuracy(train_class_counts=[200, 50, 5])
    z = torch.tensor([[2.0, 1.0, 0.0]]).repeat(3, 1)
    c = torch.tensor([[2.0, 0.0, -0.5]]).repeat(3, 1)
    # z - alpha c: alpha 0 -> (2, 1, 0), 1 -> (0, 1, 0.5), 3 -> (-4, 1, 1.5): class 0, 1, 2
    results = sweep_alphas(z, c, torch.tensor([0, 1, 2]), [0.0, 1.0, 3.0], metric)
    assert results == [
        dict(alpha=0.0, overall=pytest.approx(100 / 3), many=100.0, medium=0.0, few=0.0),
        dict(alpha=1.0, overall=pytest.approx(100 / 3), many=0.0, medium=100.0, few=0.0),
        dict(alpha=3.0, overall=pytest.approx(100 / 3), many=0.0, medium=0.0, few=100.0)]


RESULTS = [dict(alpha=0.0, overall=70.0, many=90.0, medium=60.0),
           dict(alpha=0.5, overall=72.0, many=80.0, medium=70.0),
           dict(alpha=1.0, overall=72.0, many=70.0, medium=74.0)]


def test_best_alpha_by_each_criterion():
    # balanced: mean of the groups present, 75.0, 75.0, 72.0; the smallest alpha wins a tie
    assert [selection_score(metrics, 'balanced') for metrics in RESULTS] == [75.0, 75.0, 72.0]
    assert best_alpha_index(RESULTS, 'balanced') == 0
    assert best_alpha_index(RESULTS, 'overall') == 1
    with pytest.raises(ValueError, match="select='few': the split has no few-shot class"):
        best_alpha_index(RESULTS, 'few')
    with pytest.raises(ValueError, match="select='median': choose one of"):
        selection_score(RESULTS[0], 'median')


def test_format_sweep_marks_the_best_line():
    assert format_sweep(RESULTS, 1, 't').splitlines() == [
        '         t  overall     many   medium      few',
        '         0    70.00    90.00    60.00        -',
        '*      0.5    72.00    80.00    70.00        -',
        '         1    72.00    70.00    74.00        -']


# TDE of a de-confound model and logit adjustment of a linear one, overall top-1 on one split
TDE = [dict(alpha=0.0, overall=60.0), dict(alpha=0.5, overall=66.0),
       dict(alpha=1.0, overall=66.0), dict(alpha=1.5, overall=63.0)]
FALLING_TDE = [dict(alpha=0.0, overall=60.0), dict(alpha=0.5, overall=58.0)]
LOGIT_ADJUSTMENT = [dict(alpha=0.0, overall=55.0), dict(alpha=1.0, overall=64.0)]


@pytest.mark.parametrize('tde, logit_adjustment, correction, value, score', [
    (TDE, None, 'tde', 0.5, 66.0),  # the smallest of the two best alphas
    (TDE, LOGIT_ADJUSTMENT, 'tde', 0.5, 66.0),
    (FALLING_TDE, None, 'deconfound', 0.0, 60.0),
    (FALLING_TDE, LOGIT_ADJUSTMENT, 'logit_adjustment', 1.0, 64.0),
    (FALLING_TDE, LOGIT_ADJUSTMENT[:1], 'deconfound', 0.0, 60.0),
    (LOGIT_ADJUSTMENT[:1], FALLING_TDE, 'linear', 0.0, 60.0),  # 60 beats 55, t = 0 best
    (FALLING_TDE[:1], FALLING_TDE[:1], 'deconfound', 0.0, 60.0),  # a tie keeps de-confound
])
def test_choose_correction(tde, logit_adjustment, correction, value, score):
    choice = choose_correction(tde, logit_adjustment)
    assert (choice['correction'], choice['value'], choice['score']) == (correction, value, score)
    assert choice['metrics']['alpha'] == value


def test_choose_correction_by_another_criterion():
    tde = [dict(alpha=0.0, overall=70.0, many=90.0, few=10.0),
           dict(alpha=1.0, overall=68.0, many=70.0, few=40.0)]
    assert choose_correction(tde)['correction'] == 'deconfound'
    assert choose_correction(tde, select='few')['value'] == 1.0
    # balanced: (90 + 10) / 2 = 50 against (70 + 40) / 2 = 55
    assert choose_correction(tde, select='balanced')['score'] == 55.0


def test_choose_correction_needs_grids_from_zero():
    with pytest.raises(ValueError, match='the tde sweep must start at 0 .* starts at 0.5'):
        choose_correction(TDE[1:])
    with pytest.raises(ValueError, match='the logit_adjustment sweep must start at 0'):
        choose_correction(TDE, LOGIT_ADJUSTMENT[1:])
