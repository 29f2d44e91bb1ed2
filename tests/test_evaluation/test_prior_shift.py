"""mmcausal.evaluation.prior_shift on hand-computed cases: accuracy under a target prior, the
priors by name and from files, logit adjustment towards a prior, and the EM prior estimate."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import METRICS

from mmcausal.datasets import long_tailed_counts
from mmcausal.evaluation import (LongTailAccuracy, PriorWeightedAccuracy, adjusted_towards,
                                 estimate_prior, exponential_prior, fit_temperature,
                                 log_prior_ratio, prior_weighted_accuracy, target_prior,
                                 total_variation)
from mmcausal.evaluation.logit_adjustment import adjusted_logits

# Three classes, training counts 6, 3, 1; five test samples (pred, gt): class 0 one of two
# right (50 %), class 1 its one right (100 %), class 2 none of two (0 %); plain top-1 2/5.
COUNTS = [6, 3, 1]
RESULTS = [(0, 0), (1, 0), (1, 1), (0, 2), (1, 2)]


def test_prior_weighted_accuracy_by_hand():
    acc = np.array([50.0, 100.0, 0.0])
    assert prior_weighted_accuracy(acc, [0.5, 0.3, 0.2]) == pytest.approx(25 + 30 + 0)
    # weights need not sum to 1: 2, 1, 1 is 0.5, 0.25, 0.25
    assert prior_weighted_accuracy(acc, [2, 1, 1]) == pytest.approx(25 + 25)
    assert prior_weighted_accuracy(acc, [1, 1, 1]) == pytest.approx(50)


def test_a_class_without_samples_counts_only_at_prior_zero():
    acc = np.array([80.0, np.nan, 20.0])
    assert prior_weighted_accuracy(acc, [3, 0, 1]) == pytest.approx(0.75 * 80 + 0.25 * 20)
    with pytest.raises(ValueError, match=r'classes \[1\] have no test samples'):
        prior_weighted_accuracy(acc, [1, 1, 1])


@pytest.mark.parametrize('weights, message', [
    ([1, 2], r'one weight per class \(3\)'),
    ([1, -1, 1], 'finite weights >= 0'),
    ([0, 0, 0], 'not all 0'),
    ([1, math.nan, 1], 'finite weights'),
])
def test_bad_priors_are_named(weights, message):
    with pytest.raises(ValueError, match=message):
        prior_weighted_accuracy(np.array([1.0, 2.0, 3.0]), weights)


def test_target_priors_by_name_and_file(tmp_path):
    assert target_prior('balanced', COUNTS) == pytest.approx([1 / 3] * 3)
    assert target_prior('train', COUNTS) == pytest.approx([0.6, 0.3, 0.1])
    assert target_prior([1, 1, 2], COUNTS) == pytest.approx([0.25, 0.25, 0.5])
    path = tmp_path / 'prior.txt'
    path.write_text('# expected images per class\n10, 30\n60  # the last class\n')
    assert target_prior(str(path), COUNTS) == pytest.approx([0.1, 0.3, 0.6])
    path.write_text('1 2')
    with pytest.raises(ValueError, match=r"target prior file .*prior.txt' must hold one weight "
                       r'per class \(3\)'):
        target_prior(str(path), COUNTS)
    path.write_text('1 two 3')
    with pytest.raises(ValueError, match="could not convert string to float: 'two'"):
        target_prior(str(path), COUNTS)
    with pytest.raises(ValueError, match="target_prior='uniform' is neither one of "
                       r"\('balanced', 'train'\) nor a file"):
        target_prior('uniform', COUNTS)


def test_exponential_prior():
    assert exponential_prior(3, 100) == pytest.approx(np.array([1, 0.1, 0.01]) / 1.11)
    assert exponential_prior(3, 100, reverse=True) == pytest.approx(
        np.array([0.01, 0.1, 1]) / 1.11)
    assert exponential_prior(4, 1) == pytest.approx([0.25] * 4)
    # the profile of the long-tailed training sets, up to their rounding to whole images
    counts = np.array(long_tailed_counts(10**9, 10, 50))
    assert exponential_prior(10, 50) == pytest.approx(counts / counts.sum(), rel=1e-6)
    with pytest.raises(ValueError, match='imbalance_ratio >= 1'):
        exponential_prior(10, 0.5)


def test_logit_adjustment_towards_a_prior():
    # log p - log q with p = (3/4, 1/4), q = (1/2, 1/2)
    assert log_prior_ratio([3, 1], [1, 1]).tolist() == pytest.approx(
        [math.log(0.75 / 0.5), math.log(0.25 / 0.5)], rel=1e-6)
    z = torch.tensor([[2.0, 1.0, 0.5], [0.0, 0.3, 0.4]])
    # towards the training prior: nothing changes
    assert torch.allclose(adjusted_towards(z, COUNTS, [6, 3, 1]), z, atol=1e-6)
    # towards balanced: the usual z - t log p, shifted by the constant t log(1/3)
    for t in (0.5, 1.0, 2.0):
        assert torch.allclose(adjusted_towards(z, COUNTS, [1, 1, 1], t),
                              adjusted_logits(z, COUNTS, t) + t * math.log(1 / 3), atol=1e-5)
    # by hand, t = 1, q = (0.1, 0.1, 0.8): z_y - log(n_y / 10) + log q_y
    expected = [2.0 - math.log(0.6) + math.log(0.1), 1.0 - math.log(0.3) + math.log(0.1),
                0.5 - math.log(0.1) + math.log(0.8)]
    adjusted = adjusted_towards(z[0], COUNTS, [0.1, 0.1, 0.8])
    assert adjusted.tolist() == pytest.approx(expected, rel=1e-6)
    # a class the target excludes counts as 1e-6: finite, and all but never predicted
    assert log_prior_ratio(COUNTS, [1, 0, 1]).tolist() == pytest.approx(
        [math.log(0.6 / 0.5), math.log(0.3 / 1e-6), math.log(0.1 / 0.5)], rel=1e-6)


def test_em_iterations_by_hand():
    # p = (1/2, 1/2); the first step averages the probabilities: q1 = (0.6, 0.4). The second
    # re-weighs by q1 / p: sample 1 (0.48, 0.08) / 0.56, sample 2 (0.24, 0.24) / 0.48.
    probs = torch.tensor([[0.8, 0.2], [0.4, 0.6]])
    with pytest.warns(UserWarning, match='after max_iterations=2'):
        prior, iterations = estimate_prior(probs, [1, 1], max_iterations=2)
    assert iterations == 2
    assert prior == pytest.approx([(0.48 / 0.56 + 0.5) / 2, (0.08 / 0.56 + 0.5) / 2])
    # confident predictions: the estimate is the share of each predicted class, at once
    prior, iterations = estimate_prior(torch.tensor([[1.0, 0, 0], [1, 0, 0], [0, 0, 1]]),
                                       [0.2, 0.3, 0.5])
    assert prior == pytest.approx([2 / 3, 0, 1 / 3])
    assert iterations == 2  # the second step moves nothing


def test_em_recovers_a_shifted_prior():
    """A calibrated model of three 1-d Gaussian classes (means 0, 1, 2, std 1) trained under
    p = (0.7, 0.2, 0.1); 30,000 samples drawn with q = (0.1, 0.3, 0.6)."""
    generator = torch.Generator().manual_seed(0)
    train, target = torch.tensor([0.7, 0.2, 0.1]), torch.tensor([0.1, 0.3, 0.6])
    labels = torch.multinomial(target, 30000, replacement=True, generator=generator)
    x = labels.double() + torch.randn(30000, generator=generator, dtype=torch.float64)
    log_likelihood = -0.5 * (x[:, None] - torch.arange(3.0, dtype=torch.float64)) ** 2
    probs = torch.softmax(log_likelihood + train.double().log(), dim=1)  # p(y | x) under p
    prior, _ = estimate_prior(probs, train)
    drawn = torch.bincount(labels, minlength=3).double() / 30000
    assert total_variation(prior, drawn) < 0.02
    # without EM, the mean probability stays far towards the training prior
    assert total_variation(probs.mean(0), drawn) > 0.15


def test_temperature_calibrates_under_the_training_prior():
    """Logits 3x those of the calibrated model of three 1-d Gaussian classes trained under
    p = (0.7, 0.2, 0.1), fitted on labelled samples drawn with q = (0.1, 0.3, 0.6): T = 3, as
    softmax(z / 3) is the posterior under p and the fit re-weighs it by q / p. Without the
    re-weighing the fit would be off, and EM after it recovers q."""
    generator = torch.Generator().manual_seed(0)
    train, target = torch.tensor([0.7, 0.2, 0.1]), torch.tensor([0.1, 0.3, 0.6])
    labels = torch.multinomial(target, 30000, replacement=True, generator=generator)
    x = labels.double() + torch.randn(30000, generator=generator, dtype=torch.float64)
    calibrated = -0.5 * (x[:, None] - torch.arange(3.0, dtype=torch.float64)) ** 2 + train.log()
    temperature = fit_temperature(3 * calibrated, labels, train)
    assert temperature == pytest.approx(3, rel=0.02)
    assert fit_temperature(calibrated, labels, train) == pytest.approx(1, rel=0.02)
    assert fit_temperature(3 * calibrated, labels, [1, 1, 1]) != pytest.approx(3, rel=0.1)
    overconfident, _ = estimate_prior(torch.softmax(3 * calibrated, dim=1), train)
    prior, _ = estimate_prior(torch.softmax(3 * calibrated / temperature, dim=1), train)
    drawn = torch.bincount(labels, minlength=3).double() / 30000
    assert total_variation(prior, drawn) < 0.02 < total_variation(overconfident, drawn)
    with pytest.raises(ValueError, match=r'logits \(N, C\) and gt_labels \(N,\)'):
        fit_temperature(calibrated, labels[:5], train)


def test_total_variation():
    assert total_variation([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.4)
    assert total_variation([1, 1], [2, 2]) == 0
    assert total_variation([1, 0], [0, 1]) == 1


@pytest.mark.parametrize('target, overall', [
    ('balanced', (50 + 100 + 0) / 3),
    ('train', 0.6 * 50 + 0.3 * 100 + 0.1 * 0),
    ([0, 1, 3], 0.25 * 100),
])
def test_metric_weighs_class_accuracy_by_the_prior(target, overall):
    metric = METRICS.build(dict(type='PriorWeightedAccuracy', target_prior=target,
                                train_class_counts=COUNTS, many_shot_thr=4, few_shot_thr=2))
    assert isinstance(metric, LongTailAccuracy)
    for pred, gt in RESULTS:
        metric.process(None, [dict(pred_label=torch.tensor([pred]), gt_label=torch.tensor([gt]))])
    # the groups are LongTailAccuracy's: many (6) 50 %, medium (3) 100 %, few (1) 0 %
    assert metric.evaluate(len(RESULTS)) == pytest.approx({
        'prior_weighted/overall': overall, 'prior_weighted/many': 50.0,
        'prior_weighted/medium': 100.0, 'prior_weighted/few': 0.0})
    assert LongTailAccuracy.calculate([p for p, _ in RESULTS], [g for _, g in RESULTS], COUNTS,
                                      (4, 2))['overall'] == pytest.approx(40.0)


def test_metric_reads_a_prior_file(tmp_path):
    path = tmp_path / 'deployment.txt'
    path.write_text('1\n1\n2\n')
    metric = PriorWeightedAccuracy(target_prior=str(path), train_class_counts=COUNTS)
    assert metric.compute_metrics(RESULTS)['overall'] == pytest.approx(0.25 * 50 + 0.25 * 100)
    with pytest.raises(ValueError, match="target_prior='missing.txt' is neither one of"):
        PriorWeightedAccuracy(target_prior='missing.txt')
