"""Every classification config of configs/ loads, builds and runs; the benchmark rows hold the
paper's settings.

In the benchmark folders the file name states the row
(``{classifier}[-tde][-k{K}]_{model}_{schedule}_{benchmark}``), and each config is checked
against it and against the paper (Sec. 5 and Tables 2, 3, 7). Other classification configs
(e.g. the CPU benchmark's) get the checks every config must pass.
"""
import glob
import os.path as osp
import re

import pytest
import torch
from _config_names import CONFIGS, config_id, name_parser
from mmengine.config import Config
from mmpretrain.registry import MODELS

import mmcausal  # noqa: F401  (registers TDEClsHead, CifarResNet, ...)

ALL_CONFIGS = sorted(path for path in glob.glob(osp.join(CONFIGS, '*', '*.py'))
                     if osp.basename(osp.dirname(path)) != '_base_')
CLS_CONFIGS = [path for path in ALL_CONFIGS
               if not osp.basename(osp.dirname(path)).startswith('lvis')]
ROW_DIRS = ('cifar_lt', 'imagenet_lt', 'digits_lt')
ROW_CONFIGS = [path for path in CLS_CONFIGS if osp.basename(osp.dirname(path)) in ROW_DIRS]
NAME = re.compile(r'(?P<classifier>linear|cosine|capsule|deconfound)(?P<tde>-tde)?(-k(?P<k>\d))?_'
                  r'.*_(?P<benchmark>cifar10-lt|cifar100-lt|imagenet-lt|digits-lt)'
                  r'(-r(?P<ratio>\d+))?\.py$')
parse_name = name_parser(NAME)
# benchmark -> (classes, feature size, TDE alpha of the paper, test input size)
BENCHMARKS = {
    'cifar10-lt': (10, 64, 1.0, 32),
    'cifar100-lt': (100, 64, 1.5, 32),
    'imagenet-lt': (1000, 2048, 3.0, 64),  # 64x64 instead of 224x224 keeps the test cheap
    'digits-lt': (10, 64, 1.0, 8),
}


def test_every_benchmark_row_has_a_config():
    rows = {(row['benchmark'], row['ratio'], row['classifier'], bool(row['tde']), row['k'])
            for row in map(parse_name, ROW_CONFIGS)}
    for benchmark in ('cifar10-lt', 'cifar100-lt'):
        for ratio in ('100', '50', '10'):
            for classifier, tde in (('linear', False), ('deconfound', False),
                                    ('deconfound', True)):
                assert (benchmark, ratio, classifier, tde, None) in rows
    for classifier in ('cosine', 'capsule', 'deconfound'):
        for tde in (False, True):
            for k in ('1', '2'):
                assert ('imagenet-lt', None, classifier, tde, k) in rows
    assert ('imagenet-lt', None, 'linear', False, None) in rows
    assert len(rows) == len(ROW_CONFIGS) == 2 * 3 * 3 + 13 + 3


@pytest.mark.parametrize('path', CLS_CONFIGS, ids=config_id)
def test_config(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(imports=['mmcausal'], allow_failed_imports=False)
    assert [hook.type for hook in cfg.custom_hooks] == ['HeadDirectionHook']
    head = cfg.model.head
    assert head.type == 'TDEClsHead'
    assert cfg.data_preprocessor.num_classes == head.num_classes

    if path not in ROW_CONFIGS:
        check_forward(cfg, head, 64 if cfg.model.backbone.type == 'ResNeXt' else 32)
        return
    row = parse_name(path)
    num_classes, in_channels, paper_alpha, size = BENCHMARKS[row['benchmark']]
    assert head.classifier == row['classifier']
    assert head.num_classes == num_classes and head.in_channels == in_channels
    assert head.alpha == (paper_alpha if row['tde'] else 0)
    if row['classifier'] != 'linear':
        assert head.num_heads == int(row['k'] or 2)
        assert (head.tau, head.gamma) == (16.0, 1 / 32)
    check_data(cfg, row)
    check_schedule(cfg, row['benchmark'])
    check_forward(cfg, head, size)


def check_data(cfg: Config, row: dict) -> None:
    train, val, test = (cfg.get(f'{split}_dataloader') for split in ('train', 'val', 'test'))
    if row['benchmark'] == 'imagenet-lt':
        assert [loader.dataset.type for loader in (train, val, test)] == ['ImageNetLT'] * 3
        assert [osp.basename(loader.dataset.ann_file) for loader in (train, val, test)] == \
            [f'ImageNet_LT_{split}.txt' for split in ('train', 'val', 'test')]
        assert train.batch_size == 64  # x 8 GPUs = 512
        return
    ratio = int(row['ratio'])
    # digits: a balanced reservation before the draw; CIFAR: the paper's exact profile, val from
    # the training images it leaves
    held_out, subset = (test.dataset, 'held_out') if row['benchmark'] == 'digits-lt' else \
        (val.dataset, 'left_out')
    for wrapper, expected in ((train.dataset, 'train'), (held_out, subset)):
        assert wrapper.type == 'LongTailedDataset'
        assert wrapper.imbalance_ratio == ratio
        assert wrapper.get('subset', 'train') == expected
        assert wrapper.get('held_out_per_class') == train.dataset.get('held_out_per_class')
    assert held_out.dataset.type == train.dataset.dataset.type
    if row['benchmark'] == 'digits-lt':
        assert val is None and train.dataset.dataset.type == 'SklearnDigits'
        return
    source = 'CIFAR10' if row['benchmark'] == 'cifar10-lt' else 'CIFAR100'
    assert train.dataset.dataset.type == source and train.dataset.dataset.split == 'train'
    assert held_out.dataset.split == 'train'  # validation never sees the test set
    assert train.dataset.get('held_out_per_class') is None  # 5,000 ... 50 (500 ... 5)
    assert held_out.left_out_per_class == (250 if source == 'CIFAR10' else 25)
    assert (test.dataset.type, test.dataset.split) == (source, 'test')
    assert train.batch_size == 256


def check_schedule(cfg: Config, benchmark: str) -> None:
    optimizer = cfg.optim_wrapper.optimizer
    if benchmark == 'digits-lt':
        assert optimizer.momentum > 0  # the head direction decays with it
        return
    assert (optimizer.type, optimizer.lr, optimizer.momentum, optimizer.weight_decay) == \
        ('SGD', 0.2, 0.9, 5e-4)
    if benchmark == 'imagenet-lt':
        assert cfg.train_cfg.max_epochs == 90 and cfg.auto_scale_lr.base_batch_size == 512
        assert (cfg.param_scheduler.type, cfg.param_scheduler.end) == ('CosineAnnealingLR', 90)
        return
    assert cfg.train_cfg.max_epochs == 200 and cfg.auto_scale_lr.base_batch_size == 256
    warmup, decay = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR', 1 / 3, 6)
    assert (decay.type, decay.milestones, decay.gamma) == ('MultiStepLR', [120, 160], 0.01)


def check_forward(cfg: Config, head: dict, size: int) -> None:
    """Build the model, run a random batch; a TDE row's logits must move with alpha."""
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
    classifier = model.head.classifier
    assert classifier.alpha == head.alpha
    classifier.direction.vector.copy_(torch.rand(head.in_channels))
    channels = cfg.model.backbone.get('in_channels', 3)
    images = torch.rand(2, channels, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(images, mode='tensor')
        assert logits.shape == (2, head.num_classes) and torch.isfinite(logits).all()
        if head.alpha > 0:
            classifier.alpha = 0.0
            assert not torch.allclose(model(images, mode='tensor'), logits)
