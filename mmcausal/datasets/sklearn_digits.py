"""scikit-learn's bundled handwritten digits as a tiny real image classification dataset."""
from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class SklearnDigits(BaseDataset):
    """The 1,797 8x8 grey digit images bundled with scikit-learn (no download), 10 classes.

    Each sample is ``dict(img=(8, 8, 3) uint8, gt_label=int)`` like mmpretrain's ``CIFAR10``, so
    stock pipelines (``Resize``, ``PackInputs``, ...) apply: the grey level 0..16 is scaled to
    ``round(v * 255 / 16)`` and repeated over three channels. Classes are ``'0'`` ... ``'9'``,
    with 174 to 183 images each. There is no split; wrap it in :class:`LongTailedDataset` for
    a long-tailed training set and its balanced held-out set.

    Args:
        **kwargs: Keyword arguments of mmpretrain's ``BaseDataset`` other than ``ann_file``
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    METAINFO = {'classes': tuple(str(digit) for digit in range(10))}

    def __init__(self, **kwargs):
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        """One ``dict(img, gt_label)`` per image, in scikit-learn's order."""
        from sklearn.datasets import load_digits  # only this dataset needs scikit-learn
        digits = load_digits()
        grey = np.round(digits.images * (255 / 16)).astype(np.uint8)
        return [dict(img=np.repeat(image[:, :, None], 3, axis=2), gt_label=int(label))
                for image, label in zip(grey, digits.target)]
