"""Images per class of a classification dataset, from its annotations only (no image is read).

``LongTailAccuracy`` groups classes by their training images; :class:`TrainClassCountsHook`
and ``tools/analysis/dataset_stats.py`` count them with these functions for any dataset
with ``get_data_info`` (mmpretrain's ``CustomDataset``, ``CIFAR10``, ``ImageNet``, annotation
files, ``LongTailedDataset``, mmengine's ``ConcatDataset``).
"""
from typing import List, Optional, Tuple, Union

import numpy as np
from mmengine.dataset import ClassBalancedDataset, RepeatDataset
from mmengine.registry import DATASETS
from torch.utils.data import DataLoader, Dataset

from .decoded_images import DecodedImages
from .wrappers import wrapped_datasets

NO_TRAINING_SET = (
    'LongTailAccuracy groups classes by their training images, but the config has no '
    'train_dataloader to count them from: add the training set as train_dataloader (its labels '
    'are counted, no image is read) or pass the counts to the metric, '
    "dict(type='LongTailAccuracy', train_class_counts=[...]), one per class.")


def gt_labels(dataset: Dataset) -> np.ndarray:
    """The ``gt_label`` of every sample, shape (N,), int64, read with ``get_data_info``.

    The dataset is fully initialized first (``full_init``); images are never loaded.
    """
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    labels = [dataset.get_data_info(i).get('gt_label') for i in range(len(dataset))]
    try:
        return np.array([int(label) for label in labels], dtype=np.int64)
    except (TypeError, ValueError):
        raise ValueError(f'{type(dataset).__name__}: every sample needs a single integer '
                         f'gt_label to be counted per class (single-label classification); '
                         f'got e.g. {labels[0]!r}.') from None


def class_counts(dataset: Dataset) -> List[int]:
    """Images per class, length C (``len(metainfo['classes'])``, else the largest label + 1).

    ``RepeatDataset`` and ``ClassBalancedDataset`` are counted by the dataset they re-sample:
    repeating samples does not add images, and the frequency groups are of images.
    ``DecodedImages`` is counted by the dataset it decodes, so no image is decoded.
    """
    dataset = next(inner for inner in wrapped_datasets(dataset)
                   if not isinstance(inner, (RepeatDataset, ClassBalancedDataset, DecodedImages)))
    labels = gt_labels(dataset)
    classes = getattr(dataset, 'metainfo', {}).get('classes')
    num_classes = len(classes) if classes is not None else int(labels.max(initial=-1)) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'{type(dataset).__name__} has gt_label values outside 0..'
                         f'{num_classes - 1} ({num_classes} classes in its metainfo).')
    return np.bincount(labels, minlength=num_classes).tolist()


def train_set_counts(
        train_dataloader: Union[dict, DataLoader, None]) -> Tuple[List[int], Optional[tuple]]:
    """Images per class of a training set and its class names.

    Args:
        train_dataloader (dict | DataLoader | None): A dataloader config (its ``dataset`` a
            config, built with ``DATASETS`` of the current default scope as the Runner does,
            or a dataset object) or a built DataLoader; None raises the error that names both
            fixes (a training set, or ``train_class_counts=[...]``).

    Returns:
        tuple[list[int], tuple | None]: :func:`class_counts` of the dataset, and its
        ``metainfo['classes']``.
    """
    if train_dataloader is None:
        raise ValueError(NO_TRAINING_SET)
    dataset = (train_dataloader.dataset if isinstance(train_dataloader, DataLoader)
               else train_dataloader.get('dataset'))
    if dataset is None:
        raise ValueError(NO_TRAINING_SET)
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
    classes = getattr(dataset, 'metainfo', {}).get('classes')
    return class_counts(dataset), None if classes is None else tuple(classes)
