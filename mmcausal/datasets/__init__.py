"""Datasets (mmpretrain DATASETS): long-tailed subsets, ImageNet-LT, scikit-learn digits."""
from .imagenet_lt import ImageNetLT
from .long_tailed import LongTailedDataset, long_tailed_counts
from .sklearn_digits import SklearnDigits

__all__ = ['ImageNetLT', 'LongTailedDataset', 'SklearnDigits', 'long_tailed_counts']
