"""``--cfg-options`` for configs: where the data comes from, the training precision."""
import torch
from mmengine.config import Config

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def data_root_options(config: str, data_root: str) -> dict:
    """``cfg_options`` that point the source dataset of every dataloader of ``config`` (the
    innermost ``dataset`` under wrappers such as ``DecodedImages`` and ``LongTailedDataset``)
    at ``data_root``, e.g. a folder of class folders, or mmpretrain's ``CIFAR10`` data root."""
    cfg = Config.fromfile(config)
    options = {}
    for loader in LOADERS:
        key, dataset = f'{loader}.dataset', cfg[loader]['dataset']
        while 'dataset' in dataset:
            key, dataset = f'{key}.dataset', dataset['dataset']
        options[f'{key}.data_root'] = data_root
    return options


PRECISIONS = ('fp32', 'bf16')


def precision_options(precision: str) -> dict:
    """``cfg_options`` that train in ``precision``: ``'fp32'`` (the config as it is) or
    ``'bf16'`` (bf16 autocast: mmengine's ``AmpOptimWrapper`` on a GPU,
    :class:`~mmcausal.engine.CPUAmpOptimWrapper` on the CPU)."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got {precision!r}')
    if precision == 'fp32':
        return {}
    if torch.cuda.is_available():
        return {'optim_wrapper.type': 'AmpOptimWrapper', 'optim_wrapper.dtype': 'bfloat16'}
    return {'optim_wrapper.type': 'CPUAmpOptimWrapper'}
