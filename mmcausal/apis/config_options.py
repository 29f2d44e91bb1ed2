"""``cfg_options`` for configs (merged by ``Config.merge_from_dict``, as ``--cfg-options``):
where the data comes from, a tiny run that checks a pipeline in minutes, the training precision.
"""
import os.path as osp

import torch
from mmengine.config import Config

from mmcausal.datasets import wrapped_datasets

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def data_root_options(config: str, data_root: str) -> dict:
    """``cfg_options`` that point the source dataset of every dataloader of ``config`` (the
    innermost ``dataset`` under wrappers such as ``DecodedImages`` and ``LongTailedDataset``)
    at ``data_root``, e.g. a folder of class folders, or mmpretrain's ``CIFAR10`` data root."""
    cfg = Config.fromfile(config)
    options = {}
    for loader in LOADERS:
        depth = len(wrapped_datasets(cfg[loader]['dataset']))
        options[loader + '.dataset' * depth + '.data_root'] = data_root
    return options


def image_folder_options(config: str, root: str) -> dict:
    """``cfg_options`` that read the source dataset of every dataloader of ``config`` (the
    innermost ``dataset``, e.g. mmpretrain's ``CIFAR10``) from image folders instead:
    ``root/test/<class>/*`` for a source of the test split (``split='test'`` or
    ``test_mode=True``), else ``root/train/<class>/*``, as a ``CustomDataset`` whose pipeline is
    ``LoadImageFromFile`` then the source's; each loader's dataset is wrapped in
    :class:`~mmcausal.datasets.DecodedImages` (decoded once) and the data preprocessor converts
    the decoded BGR to RGB, as the CIFAR arrays are. For lossless files (PNG) the model sees the
    same pixels as from the source's own files. Class folders sort into the source's class
    order (CIFAR-10's names do); wrappers (``LongTailedDataset``) and their arguments stay.

    Args:
        config (str): A config whose sources are file-less datasets such as ``CIFAR10``.
        root (str): The folder holding ``train/`` and ``test/``, one folder per class in each.
    """
    missing = [split for split in ('train', 'test') if not osp.isdir(osp.join(root, split))]
    if missing:
        raise FileNotFoundError(
            f'image folders {root!r}: no {" or ".join(missing)}/ in it; give the folder holding '
            'train/ and test/, one folder per class in each (train/airplane/*.png, ...)')
    cfg = Config.fromfile(config)
    options = {'data_preprocessor.to_rgb': True}
    for loader in LOADERS:
        dataset = cfg[loader]['dataset'].to_dict()
        *wrappers, source = wrapped_datasets(dataset)
        split = 'test' if source.get('split') == 'test' or source.get('test_mode') else 'train'
        folder = dict(type='CustomDataset', data_root=f'{root}/{split}', data_prefix='',
                      pipeline=[dict(type='LoadImageFromFile'), *source['pipeline']])
        if wrappers:
            wrappers[-1]['dataset'] = folder
        else:
            dataset = folder
        options[f'{loader}.dataset'] = dict(_delete_=True, type='DecodedImages', dataset=dataset)
    return options


def long_tailed_options(**dataset_args) -> dict:
    """``cfg_options`` that set the same ``LongTailedDataset`` arguments (e.g.
    ``imbalance_ratio``, ``max_per_class``, ``held_out_per_class``, ``val_per_class``) in the
    train, val and test dataloaders of a config of ``configs/cifar10_jpg_lt/`` (``DecodedImages``
    of a ``LongTailedDataset`` of a ``CustomDataset``); its image folder is set by
    :func:`data_root_options`."""
    return {f'{loader}.dataset.dataset.{key}': value
            for loader in LOADERS for key, value in dataset_args.items()}


def tiny_data_options() -> dict:
    """``cfg_options`` of a config of ``configs/cifar10_jpg_lt/`` for a check end to end in
    minutes, not a result: a long-tailed subset of ratio 10 with 30 head images, 25 + 25
    held-out images per class for val and test (80 images per class are enough)."""
    return long_tailed_options(imbalance_ratio=10, max_per_class=30, held_out_per_class=50,
                               val_per_class=25)


def one_epoch_options() -> dict:
    """``cfg_options`` that shorten a config with the one-cycle schedule of the short-budget
    configs (``param_scheduler`` 0 an ``OneCycleLR`` over ``total_steps`` epochs) to 1 epoch,
    validated at its end: a check that the pipeline runs, on the config's data."""
    return {'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
            'param_scheduler.0.total_steps': 1}


def tiny_run_options() -> dict:
    """:func:`tiny_data_options` and :func:`one_epoch_options`: 1 epoch on the tiny subset."""
    return dict(tiny_data_options(), **one_epoch_options())


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
