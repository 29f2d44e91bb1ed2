import os.path as osp

import pytest
from _checkout import REPO
from mmengine.config import Config

from mmcausal.apis import data_root_options, precision_options


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


def test_precision_options(monkeypatch):
    assert precision_options('fp32') == {}
    monkeypatch.setattr('torch.cuda.is_available', lambda: False)
    assert precision_options('bf16') == {'optim_wrapper.type': 'CPUAmpOptimWrapper'}
    monkeypatch.setattr('torch.cuda.is_available', lambda: True)
    assert precision_options('bf16') == {'optim_wrapper.type': 'AmpOptimWrapper',
                                         'optim_wrapper.dtype': 'bfloat16'}
    with pytest.raises(ValueError, match="precision must be one of \\('fp32', 'bf16'\\)"):
        precision_options('fp16')
