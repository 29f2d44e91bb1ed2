"""Datasets (mmpretrain DATASETS): long-tailed subsets, ImageNet-LT, scikit-learn digits,
images decoded once into memory; images per class from the labels."""
from .counts import class_counts, gt_labels, train_set_counts
from .decoded_images import DecodedImages
from .imagenet_lt import ImageNetLT
from .long_tailed import LongTailedDataset, long_tailed_counts
from .sklearn_digits import SklearnDigits
from .wrappers import wrapped_datasets

__all__ = ['DecodedImages', 'ImageNetLT', 'LongTailedDataset', 'SklearnDigits', 'class_counts',
           'gt_labels', 'long_tailed_counts', 'train_set_counts', 'wrapped_datasets']
