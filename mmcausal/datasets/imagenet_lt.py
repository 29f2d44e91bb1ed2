"""ImageNet-LT (Liu et al., CVPR 2019): ImageNet-2012 images chosen by the standard split files."""
import os.path as osp
from typing import List, Optional, Union

import numpy as np
from mmengine import fileio
from mmengine.utils import is_abs
from mmpretrain.datasets import ImageNet
from mmpretrain.registry import DATASETS

TRAIN_SPLIT = 'ImageNet_LT_train.txt'


@DATASETS.register_module()
class ImageNetLT(ImageNet):
    """ImageNet-LT read from its split files, with the training counts per class in metainfo.

    The split files ``ImageNet_LT_{train,val,test}.txt`` hold one ``relative/path label`` line
    per image, paths relative to the ImageNet root (``train/n01440764/n01440764_10026.JPEG 0``):
    train has 115,846 images, 1,280 to 5 per class; val 20 and test 50 per class, all drawn from
    the 1,000 ImageNet classes (labels in mmpretrain's ``ImageNet`` order).

    ``metainfo['train_class_counts']`` (list[int], 1,000 entries) counts the labels of the
    train split file, for every split, so :class:`LongTailAccuracy` can group classes by their
    training frequency.

    Args:
        ann_file (str): This split's file, relative to ``data_root`` unless absolute.
        data_root (str): The ImageNet root, holding ``train/`` and ``val/``. Defaults to ''.
        data_prefix (str | dict): Image prefix under ``data_root``. Defaults to ''.
        train_ann_file (str, optional): The train split file, relative to ``data_root`` unless
            absolute. Defaults to ``ImageNet_LT_train.txt`` in the folder of ``ann_file``.
        metainfo (dict, optional): Extra meta information.
        **kwargs: Other keyword arguments of mmpretrain's ``CustomDataset`` (``pipeline``,
            ``test_mode``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 train_ann_file: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs):
        if train_ann_file is None:
            train_path = osp.join(osp.dirname(_under_root(ann_file, data_root)), TRAIN_SPLIT)
        else:
            train_path = _under_root(train_ann_file, data_root)
        counts = _class_counts(train_path, len(self.METAINFO['classes']))
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file=ann_file,
            metainfo={**(metainfo or {}), 'train_class_counts': counts},
            **kwargs)


def _under_root(path: str, data_root: str) -> str:
    """``path`` joined to ``data_root`` unless absolute, as mmengine's BaseDataset does."""
    return fileio.join_path(data_root, path) if data_root and not is_abs(path) else path


def _class_counts(train_path: str, num_classes: int) -> List[int]:
    """Images per class in the train split file ``train_path``."""
    if not fileio.exists(train_path):
        raise FileNotFoundError(
            f'ImageNetLT reads the training counts per class from the train split file, but '
            f'{train_path} does not exist; set train_ann_file to the path of {TRAIN_SPLIT}.')
    labels = np.array([int(line.rsplit(' ', 1)[1]) for line in fileio.list_from_file(train_path)
                       if line.strip()], dtype=np.int64)
    if labels.size == 0 or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'{train_path} must list images with labels in 0..{num_classes - 1}.')
    return np.bincount(labels, minlength=num_classes).tolist()
