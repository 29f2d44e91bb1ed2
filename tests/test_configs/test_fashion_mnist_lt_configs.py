"""configs/fashion_mnist_lt/: CIFAR-10-LT's CPU protocol on Fashion-MNIST, checked against its
settings and, on the real idx files (tests/conftest.py), the exact sizes of its three splits.

test_cls_configs.py builds every config's model; test_inheritance.py checks how the rows inherit.
"""
import glob
import gzip
import os.path as osp

import numpy as np
import pytest
import torch
from _config_names import CONFIGS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import mmcausal  # noqa: F401  (registers LongTailedDataset, TDEClsHead, CifarResNet)

FOLDER = osp.join(CONFIGS, 'fashion_mnist_lt')
NAME = '{}_resnet32_1xb128-onecycle-8e_fashion-mnist-lt-r100.py'
# exp profile, ratio 100, head 5,000: int(5000 * 100 ** (-i / 9)) for classes i = 0..9
TRAIN_COUNTS = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load(row: str, data_root: str = None) -> Config:
    cfg = Config.fromfile(osp.join(FOLDER, NAME.format(row)))
    if data_root is not None:
        for loader in LOADERS:
            dataset = cfg[loader].dataset
            (dataset.dataset if 'dataset' in dataset else dataset).data_root = data_root
    return cfg


def test_the_folder_holds_the_three_rows():
    assert sorted(map(osp.basename, glob.glob(osp.join(FOLDER, '*.py')))) == \
        [NAME.format(row) for row in ('deconfound-tde', 'deconfound', 'linear')]


@pytest.mark.parametrize('row, classifier, alpha', [
    ('linear', 'linear', 0.0), ('deconfound', 'deconfound', 0.0),
    ('deconfound-tde', 'deconfound', 1.0)])
def test_row_settings(row, classifier, alpha):
    cfg = load(row)
    assert cfg.model.backbone == dict(type='CifarResNet', depth=32, in_channels=1)
    head = cfg.model.head
    assert (head.classifier, head.alpha, head.num_classes, head.in_channels) == \
        (classifier, alpha, 10, 64)
    assert (head.num_heads, head.tau, head.gamma) == (2, 16.0, 1 / 32)
    # the schedule of the CIFAR-10-LT CPU benchmark: batch 128 at the paper's lr per image
    assert cfg.train_dataloader.batch_size == 128 == cfg.auto_scale_lr.base_batch_size
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.momentum, optimizer.weight_decay) == \
        ('SGD', 0.1, 0.9, 5e-4)
    [one_cycle] = cfg.param_scheduler
    assert (one_cycle.type, one_cycle.eta_max, one_cycle.total_steps) == ('OneCycleLR', 0.1, 8)
    assert (cfg.train_cfg.max_epochs, cfg.train_cfg.val_interval) == (8, 8)
    # data: the long-tailed training split, val held out of it, the official test split
    train, val, test = (cfg[loader].dataset for loader in LOADERS)
    for wrapper, subset in ((train, 'train'), (val, 'held_out')):
        assert (wrapper.type, wrapper.get('subset', 'train')) == ('LongTailedDataset', subset)
        assert (wrapper.imbalance_ratio, wrapper.max_per_class, wrapper.held_out_per_class) == \
            (100, 5000, 500)
        assert (wrapper.dataset.type, wrapper.dataset.split) == ('FashionMNIST', 'train')
    assert (test.type, test.split, test.test_mode) == ('FashionMNIST', 'test', True)
    assert cfg.val_evaluator == cfg.test_evaluator == dict(type='LongTailAccuracy')


def test_normalization_is_that_of_the_training_images(shared_data):
    """mean / std of the data preprocessor: the pixels of the 60,000 training images."""
    with gzip.open(osp.join(shared_data, 'fashion-mnist', 'train-images-idx3-ubyte.gz')) as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16).astype(np.float64)
    assert pixels.size == 60000 * 28 * 28
    preprocessor = load('deconfound').data_preprocessor
    assert preprocessor.mean == [pytest.approx(pixels.mean(), abs=0.005)]
    assert preprocessor.std == [pytest.approx(pixels.std(), abs=0.005)]
    assert preprocessor.to_rgb is False


def test_splits_on_the_real_idx_files(fashion_mnist_root):
    cfg = load('deconfound', fashion_mnist_root)
    init_default_scope('mmpretrain')
    train, val, test = (Runner.build_dataloader(dict(cfg[loader], num_workers=0,
                                                     persistent_workers=False))
                        for loader in LOADERS)
    assert train.dataset.metainfo['train_class_counts'] == TRAIN_COUNTS
    assert TRAIN_COUNTS[0] == 100 * TRAIN_COUNTS[-1] and sum(TRAIN_COUNTS) == 12406
    labels = {name: np.array([loader.dataset.get_data_info(i)['gt_label']
                              for i in range(len(loader.dataset))])
              for name, loader in (('train', train), ('val', val), ('test', test))}
    assert np.bincount(labels['train']).tolist() == TRAIN_COUNTS
    assert np.bincount(labels['val']).tolist() == [500] * 10
    assert np.bincount(labels['test']).tolist() == [1000] * 10
    # val is held out of the training images: disjoint from the long-tailed subset
    assert not set(train.dataset.indices) & set(val.dataset.indices)
    assert val.dataset.metainfo['train_class_counts'] == TRAIN_COUNTS

    # one training batch through the preprocessor and the model: 1-channel 28x28 images
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    batch = next(iter(train))
    assert batch['inputs'][0].shape == (1, 28, 28) and batch['inputs'][0].dtype == torch.uint8
    data = model.data_preprocessor(batch, True)
    assert data['inputs'].shape == (128, 1, 28, 28)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])
