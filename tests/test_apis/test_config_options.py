import os
import os.path as osp
from collections import Counter

import numpy as np
import pytest
from _checkout import REPO
from mmengine.config import Config
from mmpretrain.registry import DATASETS
from PIL import Image

from mmcausal.apis import (data_root_options, image_folder_options, long_tailed_options,
                           one_epoch_options, precision_options, tiny_run_options)


@pytest.mark.parametrize('config, keys', [
    # DecodedImages(LongTailedDataset(CustomDataset)) in all three loaders
    ('cifar10_jpg_lt/deconfound_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py',
     [f'{loader}.dataset.dataset.dataset.data_root' for loader in ('train_dataloader',
                                                                   'val_dataloader',
                                                                   'test_dataloader')]),
    # LongTailedDataset(CIFAR10) for train and val, the official test split as it is
    ('cifar_lt/deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py',
     ['train_dataloader.dataset.dataset.data_root', 'val_dataloader.dataset.dataset.data_root',
      'test_dataloader.dataset.data_root']),
])
def test_data_root_options_reach_the_source_of_every_loader(config, keys):
    path = osp.join(REPO, 'configs', config)
    options = data_root_options(path, '/my/images')
    assert options == {key: '/my/images' for key in keys}
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    for key in keys:
        node = cfg
        for part in key.split('.'):
            node = node[part]
        assert node == '/my/images'


def test_image_folder_options_read_the_paper_configs_from_folders(cifar10_png_tiny):
    """configs/cifar_lt from train/ and test/ class folders of real PNGs: the same wrappers,
    the official test split from test/, and the RGB pixels of the files."""
    path = osp.join(REPO, 'configs', 'cifar_lt',
                    'deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py')
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(image_folder_options(path, cifar10_png_tiny))
    assert cfg.data_preprocessor.to_rgb is True
    cfg.train_dataloader.dataset.dataset.imbalance_ratio = 10
    cfg.val_dataloader.dataset.dataset.update(imbalance_ratio=10, left_out_per_class=10)
    import mmcausal  # noqa: F401  (registers the datasets)
    train, val, test = (DATASETS.build(cfg[loader].dataset)
                        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'))
    counts = [int(80 * 10 ** (-i / 9)) for i in range(10)]  # the head takes all its 80
    assert counts == [80, 61, 47, 37, 28, 22, 17, 13, 10, 8]
    assert train.metainfo['train_class_counts'] == counts and len(train) == sum(counts)
    labels = [val.get_data_info(i)['gt_label'] for i in range(len(val))]
    assert Counter(labels) == {c: 10 for c in range(1, 10)}  # none of the head is left
    assert len(test) == 200 and {test.get_data_info(i)['img_path'].split(os.sep)[-3]
                                 for i in range(len(test))} == {'test'}
    assert test.metainfo['classes'][0] == 'airplane' and test.metainfo['classes'][9] == 'truck'
    item = test[0]  # BGR as decoded; the data preprocessor flips it to the file's RGB
    info = test.get_data_info(0)
    rgb = np.asarray(Image.open(info['img_path']).convert('RGB'))
    assert np.array_equal(item['inputs'].numpy()[::-1].transpose(1, 2, 0), rgb)


def test_long_tailed_options_reach_all_three_loaders():
    options = long_tailed_options(imbalance_ratio=10, val_per_class=5)
    assert options == {f'{loader}.dataset.dataset.{key}': value
                       for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
                       for key, value in (('imbalance_ratio', 10), ('val_per_class', 5))}


def test_tiny_run_of_a_short_budget_config():
    """1 epoch of one-cycle on the tiny subset, from a folder: what the smoke runs merge."""
    path = osp.join(REPO, 'configs', 'cifar10_jpg_lt',
                    'deconfound_resnet32_1xb128-onecycle-8e_cifar10-jpg-lt-r100.py')
    assert tiny_run_options().items() >= one_epoch_options().items()
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(dict(data_root_options(path, '/my/images'), **tiny_run_options()))
    assert cfg.train_cfg.max_epochs == cfg.train_cfg.val_interval == 1
    assert cfg.param_scheduler[0].type == 'OneCycleLR' and cfg.param_scheduler[0].total_steps == 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        long_tailed = cfg[loader].dataset.dataset  # DecodedImages -> LongTailedDataset
        assert (long_tailed.type, long_tailed.imbalance_ratio, long_tailed.max_per_class,
                long_tailed.held_out_per_class, long_tailed.val_per_class) == \
            ('LongTailedDataset', 10, 30, 50, 25)
        assert long_tailed.dataset.data_root == '/my/images'


def test_precision_options(monkeypatch):
    assert precision_options('fp32') == {}
    monkeypatch.setattr('torch.cuda.is_available', lambda: False)
    assert precision_options('bf16') == {'optim_wrapper.type': 'CPUAmpOptimWrapper'}
    monkeypatch.setattr('torch.cuda.is_available', lambda: True)
    assert precision_options('bf16') == {'optim_wrapper.type': 'AmpOptimWrapper',
                                         'optim_wrapper.dtype': 'bfloat16'}
    with pytest.raises(ValueError, match="precision must be one of \\('fp32', 'bf16'\\)"):
        precision_options('fp16')
