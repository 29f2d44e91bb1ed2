"""mmcausal/apis/protocol_scoring.py: the scoring of every row of the README's accuracy tables
from hand-made logit terms, per-class accuracy, the tables and the JSON summary.

``score_seed`` is ``score_terms`` of the terms of two checkpoints; training and checkpoints run
end to end in tests/test_tools/test_demo.py (``--data DIR --smoke``) and the benchmarks' smoke
runs (tests/test_benchmarks/).
"""
import math

import pytest
import torch

from mmcausal.apis import ROWS, SplitTerms, class_accuracy_table, summarize
from mmcausal.apis.protocol_scoring import score_terms
from mmcausal.evaluation import LongTailAccuracy, class_accuracy


def test_class_accuracy_by_hand():
    gt = torch.tensor([0, 0, 0, 0, 1, 1, 2])
    pred = torch.tensor([0, 0, 0, 1, 1, 0, 2])
    accuracy = class_accuracy(pred, gt, num_classes=4)
    assert accuracy[:3] == pytest.approx([75.0, 50.0, 100.0])
    assert math.isnan(accuracy[3])  # no sample of class 3


def seed_result(offset: float) -> dict:
    rows = {row: dict(overall=50.0 + offset, many=70.0 + offset, medium=10.0 + offset)
            for row in ROWS}
    rows['linear-la'].update(t=1.0)
    rows['linear-la-val'].update(t=0.5 + offset)
    rows['deconfound-tde'].update(alpha=1.0)
    rows['deconfound-tde-val'].update(alpha=1.5)
    return dict(rows=rows)


def test_summary_is_the_benchmark_json_shape():
    summary = summarize([seed_result(0.0), seed_result(1.0), seed_result(2.0)])
    assert list(summary) == list(ROWS)
    assert summary['linear'] == dict(overall=[50.0, 51.0, 52.0], many=[70.0, 71.0, 72.0],
                                     medium=[10.0, 11.0, 12.0])
    # the fixed parameters once, the chosen ones per seed (even when the seeds agree)
    assert summary['deconfound-tde']['alpha'] == 1.0
    assert summary['linear-la']['t'] == 1.0
    assert summary['deconfound-tde-val']['alpha'] == [1.5, 1.5, 1.5]
    assert summary['linear-la-val']['t'] == [0.5, 1.5, 2.5]
    assert 'few' not in summary['deconfound']  # no seed has a few-shot group


# ------------------------------------------------------ score_seed's scoring, worked out by hand
# 3 classes with 200, 50 and 10 training images: class 0 is many-shot, 1 medium, 2 few, so each
# group accuracy below is one class's accuracy. A row predicts argmax(z - v * c) on test.
COUNTS = [200, 50, 10]
THIRD, TWO_THIRDS = 100 / 3, 200 / 3


def split(gt: list, z: list, c: list) -> SplitTerms:
    return SplitTerms(torch.tensor(z, dtype=torch.float), torch.tensor(c, dtype=torch.float),
                      torch.tensor(gt), LongTailAccuracy(train_class_counts=COUNTS))


# The linear model: c stands for the log prior, the same (1, 0, -1) for every image, so t moves
# t logits from class 0 to class 2. Scores z - t c = (z0 - t, z1, z2 + t):
#   gt  z               t=0      t=1                t=2
#   0   (3, 0, 0)       0 ok     (2, 0, 1) 0 ok      (1, 0, 2) 2
#   0   (1.5, 0, 0)     0 ok     (.5, 0, 1) 2        2
#   1   (1, 1.8, 0)     1 ok     (0, 1.8, 1) 1 ok    (-1, 1.8, 2) 2
#   1   (1.5, 1.2, 0)   0        (.5, 1.2, 1) 1 ok   2
#   2   (1, 0, .5)      0        (0, 0, 1.5) 2 ok    2 ok
#   2   (2.5, 0, 0)     0        (1.5, 0, 1) 0       (.5, 0, 2) 2 ok
LINEAR_C = [[1.0, 0.0, -1.0]]
LINEAR_TEST = split([0, 0, 1, 1, 2, 2],
                    [[3, 0, 0], [1.5, 0, 0], [1, 1.8, 0], [1.5, 1.2, 0], [1, 0, .5], [2.5, 0, 0]],
                    LINEAR_C * 6)
# val, one image per class: t=0 and t=1 get 2 of 3 right (the last wrong), t=2 all three.
#   gt  z              t=0   t=1               t=2
#   0   (5, 0, 0)      0 ok  0 ok              (3, 0, 2) 0 ok
#   1   (0, 3, 0)      1 ok  (-1, 3, 1) 1 ok   (-2, 3, 2) 1 ok
#   2   (2, 0, -.5)    0     (1, 0, .5) 0      (0, 0, 1.5) 2 ok
LINEAR_VAL = split([0, 1, 2], [[5, 0, 0], [0, 3, 0], [2, 0, -.5]], LINEAR_C * 3)

# The de-confound model: c is TDE's own term, different for every image. alpha=1 is the
# paper's (not on the grid), the grid is 0, 0.5, 1.5. Scores z - alpha c:
#   gt  z             c              0      0.5                 1                  1.5
#   0   (2, 1, 0)     (1.2, 0, 0)    0 ok   (1.4, 1, 0) 0 ok    (.8, 1, 0) 1       (.2, 1, 0) 1
#   1   (1, .5, 0)    (.8, 0, .5)    0      (.6, .5, -.25) 0    (.2, .5, -.5) 1 ok  1 ok
#   2   (1, 0, .2)    (1, 0, -1)     0      (.5, 0, .7) 2 ok    2 ok               2 ok
DECONFOUND_TEST = split([0, 1, 2], [[2, 1, 0], [1, .5, 0], [1, 0, .2]],
                        [[1.2, 0, 0], [.8, 0, .5], [1, 0, -1]])
#   gt  z             c              0      0.5                 1.5
#   0   (1, 0, 0)     (0, 0, 0)      0 ok   0 ok                0 ok
#   2   (1, 0, .6)    (1, 0, 0)      0      (.5, 0, .6) 2 ok    2 ok
#   1   (.5, 1, 0)    (0, .5, 0)     1 ok   (.5, .75, 0) 1 ok   (.5, .25, 0) 0
DECONFOUND_VAL = split([0, 2, 1], [[1, 0, 0], [1, 0, .6], [.5, 1, 0]],
                       [[0, 0, 0], [1, 0, 0], [0, .5, 0]])


@pytest.fixture(scope='module')
def scored() -> dict:
    return score_terms(dict(val=LINEAR_VAL, test=LINEAR_TEST),
                       dict(val=DECONFOUND_VAL, test=DECONFOUND_TEST),
                       alpha=1.0, alphas=[0.0, 0.5, 1.5], ts=[0.0, 1.0, 2.0])


def column(points: list, key: str) -> list:
    return [point[key] for point in points]


def test_val_chooses_t_and_alpha(scored):
    linear, deconfound = scored['val']['linear'], scored['val']['deconfound']
    assert column(linear, 'alpha') == [0.0, 1.0, 2.0]  # the grid of t
    assert column(linear, 'overall') == pytest.approx([TWO_THIRDS, TWO_THIRDS, 100.0])
    assert column(deconfound, 'alpha') == [0.0, 0.5, 1.5]
    assert column(deconfound, 'overall') == pytest.approx([TWO_THIRDS, 100.0, TWO_THIRDS])
    assert scored['rows']['linear-la-val']['t'] == 2.0
    assert scored['rows']['deconfound-tde-val']['alpha'] == 0.5


def test_rows_on_test_by_hand(scored):
    """Each row's test accuracies, from the tables above; t / alpha only on the rows that set
    one. t=2, chosen on val, is the worst t on test: nothing of test leaks into the choice."""
    def group(overall, many, medium, few, **parameter):
        return dict(overall=overall, many=many, medium=medium, few=few, **parameter)

    expected = {
        'linear': group(50.0, 100.0, 50.0, 0.0),
        'linear-la': group(TWO_THIRDS, 50.0, 100.0, 50.0, t=1.0),
        'linear-la-val': group(THIRD, 0.0, 0.0, 100.0, t=2.0),
        'deconfound': group(THIRD, 100.0, 0.0, 0.0),
        'deconfound-tde': group(TWO_THIRDS, 0.0, 100.0, 100.0, alpha=1.0),
        'deconfound-tde-val': group(TWO_THIRDS, 100.0, 0.0, 100.0, alpha=0.5),
    }
    assert list(scored['rows']) == list(ROWS)
    for row, metrics in expected.items():
        assert scored['rows'][row] == pytest.approx(metrics), row
    # per class = per group here, one class per group
    assert scored['class_accuracy']['linear-la'] == pytest.approx([50.0, 100.0, 50.0])
    assert scored['class_accuracy']['deconfound-tde-val'] == pytest.approx([100.0, 0.0, 100.0])
    assert scored['train_class_counts'] == COUNTS


def test_sweep_is_the_test_split_over_the_alpha_grid(scored):
    sweep = scored['sweep']
    assert column(sweep, 'alpha') == [0.0, 0.5, 1.5]
    assert column(sweep, 'overall') == pytest.approx([THIRD, TWO_THIRDS, TWO_THIRDS])
    assert column(sweep, 'many') == pytest.approx([100.0, 100.0, 0.0])
    assert column(sweep, 'medium') == pytest.approx([0.0, 0.0, 100.0])
    assert column(sweep, 'few') == pytest.approx([0.0, 100.0, 100.0])


def test_class_accuracy_table_of_the_scored_rows(scored):
    lines = class_accuracy_table(scored['class_accuracy'], ['cat', 'dog', 'yak'], COUNTS)
    assert lines == [
        '| row | cat (200) | dog (50) | yak (10) |',
        '| --- | ---: | ---: | ---: |',
        '| linear | 100.0 | 50.0 | 0.0 |',
        '| linear-la | 50.0 | 100.0 | 50.0 |',
        '| linear-la-val | 0.0 | 0.0 | 100.0 |',
        '| deconfound | 100.0 | 0.0 | 0.0 |',
        '| deconfound-tde | 0.0 | 100.0 | 100.0 |',
        '| deconfound-tde-val | 100.0 | 0.0 | 100.0 |',
    ]


def test_summary_of_two_scored_seeds(scored):
    """The second seed's val prefers t = 1: its last val image is one t = 1 gets right."""
    linear_val = split([0, 1, 2], [[5, 0, 0], [0, 3, 0], [1.5, 0, 0]], LINEAR_C * 3)
    second = score_terms(dict(val=linear_val, test=LINEAR_TEST),
                         dict(val=DECONFOUND_VAL, test=DECONFOUND_TEST),
                         alpha=1.0, alphas=[0.0, 0.5, 1.5], ts=[0.0, 1.0, 2.0])
    summary = summarize([scored, second])

    row = summary['linear-la-val']
    assert list(row) == ['t', 'overall', 'many', 'medium', 'few']
    assert row['t'] == [2.0, 1.0]
    assert row['overall'] == pytest.approx([THIRD, TWO_THIRDS])
    assert (row['many'], row['medium'], row['few']) == ([0.0, 50.0], [0.0, 100.0], [100.0, 50.0])
    assert summary['linear-la']['t'] == 1.0
    assert summary['deconfound-tde-val']['alpha'] == [0.5, 0.5]
    assert summary['deconfound']['overall'] == pytest.approx([THIRD, THIRD])
