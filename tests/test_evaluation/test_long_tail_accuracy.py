import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from _dist import free_port
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample

from mmcausal.evaluation import GROUP_COLORS, GROUPS, LongTailAccuracy, group_rules, groups_in_words

# Classes 0..3 trained on 500 (many), exactly 100 (medium), exactly 20 (medium), 5 (few) images.
COUNTS = [500, 100, 20, 5]
GT = [0, 0, 0, 0, 1, 1, 2, 2, 2, 3]
PRED = [0, 0, 0, 1, 1, 0, 2, 0, 0, 3]
# per class: 3/4, 1/2, 1/3, 1/1; overall 6 of 10
EXPECTED = {'overall': 60.0, 'many': 75.0, 'medium': (50.0 + 100 / 3) / 2, 'few': 100.0}


def samples(preds, gts):
    return [DataSample().set_pred_label(p).set_gt_label(g) for p, g in zip(preds, gts)]


def evaluate(metric, preds, gts, dataset_meta=None, size=None):
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = dataset_meta
    evaluator.process(samples(preds, gts))
    return evaluator.evaluate(size or len(gts))


def test_hand_computed_case():
    result = evaluate(LongTailAccuracy(), PRED, GT, dict(train_class_counts=COUNTS))
    assert result.keys() == {f'long_tail/{k}' for k in EXPECTED}
    for key, value in EXPECTED.items():
        assert result[f'long_tail/{key}'] == pytest.approx(value)


def test_counts_argument_and_calculate_on_tensors():
    result = evaluate(LongTailAccuracy(train_class_counts=COUNTS, prefix='lt'), PRED, GT)
    assert result['lt/medium'] == pytest.approx(EXPECTED['medium'])
    offline = LongTailAccuracy.calculate(torch.tensor(PRED), np.array(GT), COUNTS, (100, 20))
    assert offline == pytest.approx(EXPECTED)


def test_thresholds_move_the_boundaries():
    # many_shot_thr=99: class 1 (100 images) becomes many; few_shot_thr=21: class 2 becomes few
    result = LongTailAccuracy.calculate(PRED, GT, COUNTS, thresholds=(99, 21))
    assert 'medium' not in result
    assert result == pytest.approx({'overall': 60.0, 'many': (75.0 + 50.0) / 2,
                                    'few': (100 / 3 + 100.0) / 2})


def test_class_group_names_and_rules_at_both_thresholds():
    """The boundaries are inclusive for medium: exactly 100 and exactly 20 images are medium."""
    assert LongTailAccuracy.class_group_names(COUNTS) == ['many', 'medium', 'medium', 'few']
    assert LongTailAccuracy.class_group_names(COUNTS, (99, 21)) == ['many', 'many', 'few', 'few']
    assert group_rules() == {'many': '> 100', 'medium': '20..100', 'few': '< 20'}
    assert list(group_rules((4, 2)).values()) == ['> 4', '2..4', '< 2']
    assert groups_in_words((4, 2)) == 'many-shot > 4, medium-shot 2..4, few-shot < 2'
    with pytest.raises(ValueError, match='few_shot_thr <= many'):
        group_rules((10, 20))
    assert tuple(GROUP_COLORS) == GROUPS and len(set(GROUP_COLORS.values())) == len(GROUPS)


def test_empty_groups_are_absent():
    # no few-shot class at all; the medium class has no test sample
    result = evaluate(LongTailAccuracy(), [0, 1, 1], [0, 0, 1],
                      dict(train_class_counts=[300, 200, 50]))
    assert result == pytest.approx({'long_tail/overall': 200 / 3, 'long_tail/many': 75.0})


def test_missing_counts_error_names_both_fixes():
    metric = LongTailAccuracy()
    with pytest.raises(ValueError, match=r"TrainClassCountsHook.*train_class_counts=\[\.\.\.\]"):
        evaluate(metric, PRED, GT, dict(classes=('a', 'b', 'c', 'd')))
    assert not metric.has_class_counts


def test_set_train_class_counts_checks_the_class_names():
    metric = LongTailAccuracy()
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    with pytest.raises(ValueError, match='training set has the classes'):
        metric.set_train_class_counts([5, 1, 1], classes=('a', 'c', 'd'))
    metric.set_train_class_counts(COUNTS, classes=('a', 'b', 'c', 'd'))
    assert metric.has_class_counts and metric.class_counts() == COUNTS


@pytest.mark.parametrize('call, message', [
    (lambda: LongTailAccuracy(many_shot_thr=10, few_shot_thr=20), 'few_shot_thr <= many'),
    (lambda: LongTailAccuracy.calculate([0, 1], [0, 4], COUNTS), 'has 4 classes'),
    (lambda: LongTailAccuracy.calculate([0], [0, 1], COUNTS), 'of one length'),
])
def test_bad_input_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _rank_main(rank, port, queue):
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=2)
    # mmengine's DefaultSampler without shuffling gives rank r the samples r, r + 2, ...
    result = evaluate(LongTailAccuracy(), PRED[rank::2], GT[rank::2],
                      dict(train_class_counts=COUNTS), size=len(GT))
    queue.put((rank, result))
    dist.destroy_process_group()


def test_distributed_evaluation_gathers_all_ranks():
    context = mp.get_context('spawn')
    queue = context.SimpleQueue()
    mp.start_processes(_rank_main, args=(free_port(), queue), nprocs=2, start_method='spawn')
    results = dict(queue.get() for _ in range(2))
    for rank in (0, 1):
        for key, value in EXPECTED.items():
            assert results[rank][f'long_tail/{key}'] == pytest.approx(value)
