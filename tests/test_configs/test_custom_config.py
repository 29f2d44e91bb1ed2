"""The guide's config (docs/own_data.md) and the CIFAR-LT test split report many/medium/few from
the training counts that TrainClassCountsHook of the bases counts, through real Runners
(tools/test.py, Runner.test) and through tools/analysis/sweep_alpha.py.

The guide's config runs on generated class folders (``_folders``: train 7 / 5 / 3 / 1 images of
ant, bee, cat, dog; test 2 / 1 / 1 / 2); CIFAR-10-LT on a fake CIFAR-10 folder in the format of
mmpretrain's ``CIFAR10`` (the checksums of the real files are not checked here). Each model's
classifier weights are zero, so every logit is 0 and the prediction is always class 0 (argmax
returns the first maximum).
"""
import glob
import os
import os.path as osp
import pickle
import subprocess
import sys
import uuid

import numpy as np
import pytest
import torch
from _folders import THRESHOLDS, make_folders
from mmengine import load
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, MODELS

import mmcausal  # noqa: F401  (registers TDEClsHead, TrainClassCountsHook, ...)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GUIDE = osp.join(REPO, 'docs', 'own_data.md')
GUIDE_CONFIG = 'configs/custom/deconfound_resnet50_8xb64-coslr-90e_custom-folder.py'
CIFAR_CONFIG = 'configs/cifar_lt/deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py'
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]))


def test_the_guide_shows_the_config_verbatim():
    with open(GUIDE, encoding='utf-8') as f:
        guide = f.read()
    with open(osp.join(REPO, GUIDE_CONFIG), encoding='utf-8') as f:
        assert f'```python\n{f.read()}```' in guide


def test_guide_config_builds_on_class_folders(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, GUIDE_CONFIG))
    head = cfg.model.head
    assert (head.type, head.classifier, head.in_channels % head.num_heads) == \
        ('TDEClsHead', 'deconfound', 0)
    assert cfg.data_preprocessor.num_classes == head.num_classes
    assert [hook.type for hook in cfg.custom_hooks] == ['HeadDirectionHook']
    assert cfg.default_hooks.train_class_counts.type == 'TrainClassCountsHook'
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'LongTailAccuracy'
    root = make_folders(tmp_path / 'my_lt', classes=[f'class{c}' for c in range(5)],
                        splits=dict(train=(4, 3, 2, 1, 1), val=(1,) * 5, test=(1,) * 5))
    init_default_scope('mmpretrain')
    for split, size in (('train', 11), ('val', 5), ('test', 5)):
        loader = cfg.get(f'{split}_dataloader')
        assert (loader.dataset.type, loader.dataset.data_prefix) == ('CustomDataset', split)
        dataset = DATASETS.build(dict(loader.dataset, data_root=str(root)))
        assert len(dataset) == size and len(dataset.metainfo['classes']) == head.num_classes
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 64, 64), mode='tensor').shape == (1, head.num_classes)


def test_guide_config_through_tools_test(tmp_path):
    """python tools/test.py on the guide's config reports the groups of the training folders."""
    root = make_folders(tmp_path / 'my_lt')
    options = [f'{split}_dataloader.dataset.data_root={root}' for split in ('train', 'val', 'test')]
    options += ['model.head.num_classes=4', 'data_preprocessor.num_classes=4',
                'test_dataloader.num_workers=0', 'test_dataloader.batch_size=6',
                *(f'test_evaluator.{key}={value}' for key, value in THRESHOLDS.items())]
    cfg = Config.fromfile(osp.join(REPO, GUIDE_CONFIG))
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(cfg.model, head=dict(cfg.model.head, num_classes=4)))
    torch.nn.init.zeros_(model.head.classifier.weight)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'zero_head.pth')

    result = subprocess.run(
        [sys.executable, 'tools/test.py', GUIDE_CONFIG, str(tmp_path / 'zero_head.pth'),
         '--work-dir', str(tmp_path / 'work'), '--cfg-options', *options],
        cwd=REPO, env=dict(ENV, OMP_NUM_THREADS='2'), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert '16 training images of 4 classes, 7 to 1 per class' in result.stdout + result.stderr
    metrics = load(glob.glob(str(tmp_path / 'work' / '*' / '*.json'))[0])
    # always ant: per class 100, 0, 0, 0 %; many = ant, bee; medium = cat; few = dog
    assert {key: metrics[f'long_tail/{key}'] for key in ('overall', 'many', 'medium', 'few')} == \
        pytest.approx({'overall': 100 * 2 / 6, 'many': 50.0, 'medium': 0.0, 'few': 0.0}, abs=0.01)


def write_fake_cifar10(root: str, train_per_class: int, test_labels) -> None:
    """``root/cifar-10-batches-py`` as mmpretrain's CIFAR10 reads it: all training images in
    data_batch_1 (batches 2-5 empty), random 32x32 pixels."""
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    train_labels = [c for c in range(10) for _ in range(train_per_class)]
    batches = {'data_batch_1': train_labels, 'test_batch': list(test_labels)}
    batches.update({f'data_batch_{i}': [] for i in range(2, 6)})
    for name, labels in batches.items():
        data = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump({'data': data, 'labels': labels}, f)


def test_cifar10_lt_test_split_reports_the_groups(tmp_path, monkeypatch):
    monkeypatch.setattr('mmpretrain.datasets.cifar.check_md5', lambda *args, **kwargs: True)
    write_fake_cifar10(str(tmp_path / 'cifar10'), 12, test_labels=[0, 0, *range(1, 10)])
    cfg = Config.fromfile(osp.join(REPO, CIFAR_CONFIG))
    lt = dict(imbalance_ratio=10, held_out_per_class=2)
    cfg.merge_from_dict({
        'train_dataloader.dataset': dict(lt, dataset=dict(data_root=str(tmp_path / 'cifar10'))),
        'val_dataloader.dataset': dict(lt, dataset=dict(data_root=str(tmp_path / 'cifar10'))),
        'test_dataloader': dict(dataset=dict(data_root=str(tmp_path / 'cifar10')),
                                num_workers=0, batch_size=16),
        'test_evaluator': dict(many_shot_thr=5, few_shot_thr=2),
        'work_dir': str(tmp_path / 'work'), 'experiment_name': uuid.uuid4().hex})
    test_set = cfg.test_dataloader.dataset
    assert (test_set.type, test_set.split) == ('CIFAR10', 'test')  # the official test split
    runner = Runner.from_cfg(cfg)
    torch.nn.init.zeros_(runner.model.head.classifier.weight)
    metrics = runner.test()
    # The exp profile at ratio 10 from the 12 - 2 images per class left beside the held-out ones
    # keeps int(10 * 10 ** (-i / 9)) images of class i: 10, 7, 5, 4, 3, 2, 2, 1, 1, 1. So classes
    # 0-1 are many (> 5), 2-6 medium, 7-9 few (< 2). Always class 0 on the 11 test images (2 of it).
    assert metrics == pytest.approx({'long_tail/overall': 100 * 2 / 11,
                                     'long_tail/many': 100 / 2, 'long_tail/medium': 0.0,
                                     'long_tail/few': 0.0})


def test_sweep_alpha_on_the_guide_config(tmp_path):
    """tools/analysis/sweep_alpha.py --split val on the guide's config, groups from train/."""
    root = make_folders(tmp_path / 'my_lt')
    cfg = Config.fromfile(osp.join(REPO, GUIDE_CONFIG))
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(cfg.model, head=dict(cfg.model.head, num_classes=4)))
    classifier = model.head.classifier
    torch.nn.init.zeros_(classifier.weight)
    classifier.direction.vector.fill_(1.0)  # as if trained with HeadDirectionHook
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'zero_head.pth')
    options = [f'{split}_dataloader.dataset.data_root={root}' for split in ('train', 'val')]
    options += ['model.head.num_classes=4', 'data_preprocessor.num_classes=4',
                'val_dataloader.num_workers=0', 'val_dataloader.batch_size=4',
                *(f'val_evaluator.{key}={value}' for key, value in THRESHOLDS.items())]
    result = subprocess.run(
        [sys.executable, 'tools/analysis/sweep_alpha.py', GUIDE_CONFIG,
         str(tmp_path / 'zero_head.pth'), '--split', 'val', '--alphas', '0,1', '--out',
         str(tmp_path / 'sweep'), '--cfg-options', *options],
        cwd=REPO, env=dict(ENV, OMP_NUM_THREADS='2'), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    # zero weights: z = c = 0, always ant, for every alpha; val has one image per class
    for row in load(str(tmp_path / 'sweep' / 'alpha_sweep.json'))['results']:
        assert row == pytest.approx(dict(alpha=row['alpha'], overall=25.0, many=50.0,
                                         medium=0.0, few=0.0))
