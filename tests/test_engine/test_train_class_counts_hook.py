"""TrainClassCountsHook: LongTailAccuracy groups the classes of any dataset by the images of the
training set, counted from its labels, in test, validation during training and on 2 ranks.

The data are the long-tailed class folders of ``_folders`` (train 7 / 5 / 3 / 1 images of ant,
bee, cat, dog; test 2 / 1 / 1 / 2), read by mmpretrain's CustomDataset; with many_shot_thr=4 and
few_shot_thr=2, ant and bee are many-shot, cat medium-shot, dog few-shot.
"""
import uuid
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from _dist import free_port
from _folders import THRESHOLDS, folder_dataset, make_folders
from _toy import model_cfg
from mmengine.dataset import RepeatDataset
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS
from mmpretrain.structures import DataSample

import mmcausal.datasets.counts as counts_module
from mmcausal.datasets import class_counts
from mmcausal.engine import TrainClassCountsHook
from mmcausal.evaluation import LongTailAccuracy

# The test folder in CustomDataset order: labels 0, 0, 1, 2, 3, 3.
GT = [0, 0, 1, 2, 3, 3]
PRED = [0, 1, 1, 0, 3, 0]
# per class 1/2, 1/1, 0/1, 1/2: many (ant, bee) (50 + 100) / 2, medium (cat) 0, few (dog) 50
EXPECTED = {'overall': 50.0, 'many': 75.0, 'medium': 0.0, 'few': 50.0}
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


@pytest.fixture
def folders(tmp_path):
    return make_folders(tmp_path / 'my_lt')


def stub_runner(evaluator: Evaluator, train_dataloader=None) -> SimpleNamespace:
    """What the hook reads of a Runner in test mode: its training dataloader and evaluators."""
    return SimpleNamespace(_train_loop=None, _train_dataloader=train_dataloader,
                           logger=MMLogger.get_current_instance(), test_evaluator=evaluator,
                           val_evaluator=evaluator)


def evaluate(evaluator: Evaluator, preds, gts, size: int) -> dict:
    evaluator.process([DataSample().set_pred_label(p).set_gt_label(g) for p, g in zip(preds, gts)])
    return evaluator.evaluate(size)


def test_counts_come_from_the_training_folders(folders):
    init_default_scope('mmpretrain')
    metric = LongTailAccuracy(**THRESHOLDS)
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = DATASETS.build(folder_dataset(folders, 'test')).metainfo
    hook = TrainClassCountsHook()
    hook.before_test(stub_runner(evaluator, dict(dataset=folder_dataset(folders, 'train'))))
    assert metric.train_class_counts == [7, 5, 3, 1]
    result = evaluate(evaluator, PRED, GT, len(GT))
    assert result == pytest.approx({f'long_tail/{k}': v for k, v in EXPECTED.items()})


def test_given_counts_win_and_need_no_training_set():
    init_default_scope('mmpretrain')
    explicit = LongTailAccuracy(train_class_counts=[1, 1, 500, 1])
    from_meta = LongTailAccuracy()
    evaluator = Evaluator([explicit, from_meta])
    evaluator.dataset_meta = dict(classes=('a', 'b', 'c', 'd'), train_class_counts=[9, 9, 9, 9])
    TrainClassCountsHook().before_test(stub_runner(evaluator))  # no training set: not needed
    assert explicit.class_counts() == [1, 1, 500, 1]
    assert from_meta.class_counts() == [9, 9, 9, 9]


def test_counting_reads_labels_only(folders):
    init_default_scope('mmpretrain')
    (folders / 'train' / 'ant' / '0.png').write_bytes(b'not an image')
    dataset = DATASETS.build(folder_dataset(folders, 'train', PIPELINE))
    assert class_counts(dataset) == [7, 5, 3, 1]
    # re-sampling wrappers repeat samples, not images
    assert class_counts(RepeatDataset(dataset, times=3)) == [7, 5, 3, 1]


def test_class_names_of_the_splits_must_match(folders):
    init_default_scope('mmpretrain')
    metric = LongTailAccuracy(**THRESHOLDS)
    evaluator = Evaluator(metric)
    # a test folder without 'bee' would label cat 1 and dog 2
    evaluator.dataset_meta = dict(classes=('ant', 'cat', 'dog'))
    runner = stub_runner(evaluator, dict(dataset=folder_dataset(folders, 'train')))
    with pytest.raises(ValueError, match="training set has the classes .*'bee'"):
        TrainClassCountsHook().before_test(runner)


def loader(folders, split: str) -> dict:
    return dict(dataset=folder_dataset(folders, split, PIPELINE), batch_size=4, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=split == 'train'))


def toy_runner(tmp_path, **kwargs) -> Runner:
    """A Runner with TrainClassCountsHook whose TDEClsHead(linear) always predicts class 2."""
    model = model_cfg(classifier='linear')
    model['head']['num_classes'] = 4
    runner = Runner(model=model, work_dir=str(tmp_path / 'work'),
                    custom_hooks=[dict(type='TrainClassCountsHook')],
                    default_hooks=dict(checkpoint=None), default_scope='mmpretrain',
                    experiment_name=uuid.uuid4().hex, **kwargs)
    classifier = runner.model.head.classifier
    with torch.no_grad():
        classifier.weight.zero_()
        classifier.bias.copy_(torch.tensor([0.0, 0.0, 1.0, 0.0]))
    return runner


# Always cat: per class 0, 0, 100, 0 %; overall 1 of 6 test images.
CAT_ONLY = {'long_tail/overall': 100 / 6, 'long_tail/many': 0.0, 'long_tail/medium': 100.0,
            'long_tail/few': 0.0}
TEST = dict(test_evaluator=dict(type='LongTailAccuracy', **THRESHOLDS), test_cfg=dict())


def test_runner_test(tmp_path, folders):
    runner = toy_runner(tmp_path, test_dataloader=loader(folders, 'test'), **TEST,
                        train_dataloader=loader(folders, 'train'), train_cfg=dict(max_epochs=1),
                        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)))
    assert runner.test() == pytest.approx(CAT_ONLY)


def test_runner_validation_during_training_reuses_the_training_set(tmp_path, folders,
                                                                   monkeypatch):
    runner = toy_runner(tmp_path, train_dataloader=loader(folders, 'train'),
                        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
                        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
                        val_dataloader=loader(folders, 'test'), val_cfg=dict(),
                        val_evaluator=dict(type='LongTailAccuracy', **THRESHOLDS))
    monkeypatch.setattr(counts_module, 'DATASETS', None)  # no second build of train/
    runner.train()
    logged = {key: runner.message_hub.get_scalar(f'val/{key}').current() for key in CAT_ONLY}
    assert logged == pytest.approx(CAT_ONLY)


def test_test_only_config_names_both_fixes(tmp_path, folders):
    runner = toy_runner(tmp_path, test_dataloader=loader(folders, 'test'), **TEST)
    with pytest.raises(ValueError, match=r'no train_dataloader.*train_class_counts=\[\.\.\.\]'):
        runner.test()


def _rank_main(rank, port, root, queue):
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=2)
    init_default_scope('mmpretrain')
    metric = LongTailAccuracy(**THRESHOLDS)
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = dict(classes=('ant', 'bee', 'cat', 'dog'))
    TrainClassCountsHook().before_test(stub_runner(evaluator,
                                                   dict(dataset=folder_dataset(root, 'train'))))
    # mmengine's DefaultSampler without shuffling gives rank r the samples r, r + 2, ...
    queue.put((rank, evaluate(evaluator, PRED[rank::2], GT[rank::2], len(GT))))
    dist.destroy_process_group()


def test_distributed_test_counts_on_every_rank(folders):
    queue = mp.get_context('spawn').SimpleQueue()
    mp.start_processes(_rank_main, args=(free_port(), folders, queue), nprocs=2,
                       start_method='spawn')
    results = dict(queue.get() for _ in range(2))
    for rank in (0, 1):
        assert results[rank] == pytest.approx({f'long_tail/{k}': v for k, v in EXPECTED.items()})
