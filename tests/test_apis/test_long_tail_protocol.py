"""The short-budget protocol's pure parts: options, per-class accuracy, the JSON summary.

Its training and scoring run end to end in tests/test_tools/test_demo.py (``--cifar10``).
"""
import math

import pytest
import torch

from mmcausal.apis import ROWS, long_tailed_options, summarize, tiny_run_options
from mmcausal.apis.long_tail_protocol import class_accuracy


def test_long_tailed_options_reach_all_three_loaders():
    options = long_tailed_options(data_root='/images', imbalance_ratio=10)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert options[f'{loader}.dataset.imbalance_ratio'] == 10
        assert options[f'{loader}.dataset.dataset.data_root'] == '/images'
        assert options[f'{loader}.dataset.dataset.data_prefix'] == ''
    assert len(options) == 9


def test_tiny_run_options():
    options = tiny_run_options()
    assert options['train_cfg.max_epochs'] == options['param_scheduler.0.total_steps'] == 1
    assert options['test_dataloader.dataset.held_out_per_class'] == 50
    assert options['val_dataloader.dataset.val_per_class'] == 25


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
