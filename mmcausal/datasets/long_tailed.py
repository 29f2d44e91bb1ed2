"""Long-tailed subsets of a classification dataset (CIFAR-10/100-LT and the like).

Class ``i`` of ``C`` keeps ``n_i`` images, class 0 being the head with ``n_max`` images:

    exp   n_i = int(n_max * ratio ** (-i / (C - 1)))           (Cui et al. 2019, Cao et al. 2019)
    step  n_i = n_max for i < C // 2, int(n_max / ratio) for i >= C // 2

so ``n_0 / n_{C-1} = ratio`` (the imbalance ratio) whenever ``n_max / ratio`` is a whole number.
From a balanced CIFAR-10 (5,000 per class) the exp profile at ratio 100 keeps 5000, 2997, ..., 50
images, 12,406 in all; from CIFAR-100 (500 per class) 500, ..., 5, 10,847 in all.
"""
import copy
from typing import Any, List, Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from .counts import gt_labels

PROFILES = ('exp', 'step')
SUBSETS = ('train', 'held_out', 'val', 'test', 'left_out')


def long_tailed_counts(n_max: int, num_classes: int, imbalance_ratio: float,
                       profile: str = 'exp') -> List[int]:
    """Per-class image counts of a long-tailed subset (module docstring), class 0 the head.

    Args:
        n_max (int): Images of the head class, >= 1.
        num_classes (int): C, >= 2.
        imbalance_ratio (float): n_max / n_min, >= 1.
        profile (str): ``'exp'`` or ``'step'``.

    Returns:
        list[int]: C counts, each >= 1.
    """
    if imbalance_ratio < 1:
        raise ValueError(f'imbalance_ratio must be >= 1 (head size / tail size), got '
                         f'{imbalance_ratio}; use e.g. 100, 50 or 10.')
    if profile not in PROFILES:
        raise ValueError(f'profile must be one of {PROFILES}, got {profile!r}.')
    if num_classes < 2:
        raise ValueError(f'a long-tailed subset needs at least 2 classes, the dataset has '
                         f'{num_classes}.')
    if n_max < 1:
        raise ValueError(f'max_per_class (n_max) must be >= 1, got {n_max}.')
    if profile == 'exp':
        counts = [int(n_max * imbalance_ratio ** (-i / (num_classes - 1)))
                  for i in range(num_classes)]
    else:
        counts = [n_max if i < num_classes // 2 else int(n_max / imbalance_ratio)
                  for i in range(num_classes)]
    if min(counts) == 0:
        raise ValueError(f'imbalance_ratio={imbalance_ratio} with {n_max} head images leaves '
                         f'class {counts.index(0)} empty; lower imbalance_ratio or raise '
                         f'max_per_class.')
    return counts


@DATASETS.register_module()
class LongTailedDataset:
    """A long-tailed subset of a dataset, or the balanced held-out set reserved beside it.

    Each class's images are ordered by a permutation from ``numpy.random.default_rng(seed)``
    (classes in order). The last ``held_out_per_class`` of class ``i`` are reserved: they form
    the held-out subset, and the long-tailed subset takes the first ``n_i``. So the two never
    overlap (validating on ``subset='held_out'`` uses only training images the long-tailed set
    left out). The profile is drawn from the largest head that leaves the reservation, so the
    imbalance ratio stays exact: from CIFAR-10 at ratio 100 with 500 held out per class, 4,500,
    2,697, ..., 45 images (11,165 in all). With ``val_per_class`` the held-out images split in
    two disjoint balanced subsets: ``'val'`` takes the first ``val_per_class`` of each class's
    reserved images, ``'test'`` the other ``held_out_per_class - val_per_class``, so a
    hyper-parameter (TDE's alpha) can be chosen on one and reported on the other.
    ``subset='left_out'`` takes instead the images the long-tailed draw leaves of each class
    (after its first ``n_i``, reserved ones excluded), at most ``left_out_per_class``: a
    validation set beside the exact profile of the whole source (CIFAR-10's 5,000, ..., 50),
    whose head class has nothing left (all its images train) and whose classes near the head
    may have fewer. Give all wrappers the same arguments but ``subset``. The choice depends
    only on the source's order of samples and the arguments, so it is the same on every machine
    and rank.

    Like mmengine's ``ClassBalancedDataset`` it wraps ``dataset`` and forwards
    ``__getitem__``/``get_data_info`` (and so the source's pipeline), but it has no
    ``lazy_init``: the subset, and ``train_class_counts`` in ``metainfo``, need the source's
    labels, so the source is fully initialized on construction. The subset is a
    ``dataset.get_subset`` copy, so a training-mode refetch of a bad sample stays inside it.

    Args:
        dataset (BaseDataset | dict): The source (e.g. ``CIFAR10``, ``CIFAR100``, a
            ``CustomDataset`` folder); single-label, with ``classes`` in its metainfo.
        imbalance_ratio (float): ``n_max / n_min``, >= 1. Defaults to 100.
        profile (str): ``'exp'`` or ``'step'`` (module docstring). Defaults to ``'exp'``.
        seed (int): Seed of the per-class permutations. Defaults to 0.
        subset (str): ``'train'`` (the long-tailed subset), ``'held_out'`` (the reserved
            images, ``held_out_per_class`` of every class), ``'val'`` / ``'test'`` (their
            two parts, see ``val_per_class``), or ``'left_out'`` (what the draw leaves, see
            ``left_out_per_class``). Defaults to ``'train'``.
        held_out_per_class (int, optional): Images reserved per class; required for every
            subset but ``'train'``. Defaults to None: none reserved, the exact profile sizes.
        val_per_class (int, optional): Of the reserved images per class, how many form
            ``subset='val'`` (the rest form ``'test'``); required for those two subsets,
            ``1 <= val_per_class < held_out_per_class``. Defaults to None.
        max_per_class (int, optional): ``n_max`` of the profile. Defaults to the smallest class
            of the source minus ``held_out_per_class``, the largest head every class can supply
            beside its reservation (5,000 - reserved for CIFAR-10, 500 - reserved for
            CIFAR-100).
        left_out_per_class (int, optional): With ``subset='left_out'``, the most images it
            takes of a class, >= 1. Defaults to None: all the draw leaves.

    ``metainfo`` is the source's plus ``train_class_counts`` (list[int], the long-tailed subset's
    images per class) for both subsets, which :class:`LongTailAccuracy` reads; ``indices``
    (np.ndarray) holds the chosen indices of the source, ascending.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 imbalance_ratio: float = 100,
                 profile: str = 'exp',
                 seed: int = 0,
                 subset: str = 'train',
                 held_out_per_class: Optional[int] = None,
                 max_per_class: Optional[int] = None,
                 val_per_class: Optional[int] = None,
                 left_out_per_class: Optional[int] = None):
        if subset not in SUBSETS:
            raise ValueError(f'subset must be one of {SUBSETS}, got {subset!r}.')
        if held_out_per_class is None and subset in ('held_out', 'val', 'test'):
            raise ValueError(f"subset='{subset}' needs held_out_per_class (images per class).")
        if held_out_per_class is not None and held_out_per_class < 1:
            raise ValueError(f'held_out_per_class must be >= 1, got {held_out_per_class}; '
                             f'leave it None to reserve nothing.')
        if subset in ('val', 'test') and not (
                val_per_class is not None and 1 <= val_per_class < held_out_per_class):
            raise ValueError(
                f"subset='{subset}' needs val_per_class, the held-out images per class that "
                f"form subset='val' (the rest form 'test'), with 1 <= val_per_class < "
                f'held_out_per_class={held_out_per_class}; got {val_per_class}.')
        if left_out_per_class is not None and left_out_per_class < 1:
            raise ValueError(f'left_out_per_class must be >= 1, got {left_out_per_class}; leave '
                             f"it None for all the images subset='left_out' can take.")
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        elif not isinstance(dataset, BaseDataset):
            raise TypeError(f'dataset must be a config dict or a BaseDataset, got '
                            f'{type(dataset)}.')
        dataset.full_init()
        classes = dataset.metainfo.get('classes')
        if classes is None:
            raise ValueError(f'{type(dataset).__name__} has no classes in its metainfo; pass '
                             f'metainfo=dict(classes=...) to it.')
        class_indices = _class_indices(dataset, classes)
        reserved = held_out_per_class or 0
        smallest = min(map(len, class_indices))
        if reserved >= smallest:
            raise ValueError(
                f'the smallest class has {smallest} images; reserving held_out_per_class='
                f'{reserved} leaves none for the long-tailed subset; lower held_out_per_class.')
        n_max = smallest - reserved if max_per_class is None else max_per_class
        counts = long_tailed_counts(n_max, len(classes), imbalance_ratio, profile)

        rng = np.random.default_rng(seed)
        chosen = []
        for name, indices, n in zip(classes, class_indices, counts):
            if n > len(indices) - reserved:
                raise ValueError(
                    f'class {name!r} has {len(indices)} images, fewer than the {n} the '
                    f'{profile} profile asks with max_per_class={n_max} plus the '
                    f'held_out_per_class={reserved} reserved; lower max_per_class, or leave it '
                    f'None (the largest head the reservation leaves).')
            order = rng.permutation(indices)
            kept, reserved_images = order[:len(order) - reserved], order[len(order) - reserved:]
            chosen.append({'train': kept[:n], 'left_out': kept[n:][:left_out_per_class],
                           'held_out': reserved_images,
                           'val': reserved_images[:val_per_class],
                           'test': reserved_images[val_per_class:]}[subset])
        self.indices: np.ndarray = np.sort(np.concatenate(chosen))
        self.dataset = dataset.get_subset(self.indices.tolist())
        self._metainfo = dict(dataset.metainfo, train_class_counts=counts)

    @property
    def metainfo(self) -> dict:
        """The source's metainfo plus ``train_class_counts`` (a copy)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Nothing left to do (the subset is built on construction); the Runner and mmengine's
        wrappers call it."""

    def get_data_info(self, idx: int) -> dict:
        """The annotation of the ``idx``-th image of the subset."""
        return self.dataset.get_data_info(idx)

    def __getitem__(self, idx: int) -> Any:
        return self.dataset[idx]

    def __len__(self) -> int:
        return len(self.dataset)


def _class_indices(dataset: BaseDataset, classes: tuple) -> List[np.ndarray]:
    """Source indices of each class's images, in source order; errors on bad labels."""
    labels = gt_labels(dataset)
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(f'{type(dataset).__name__} has gt_label values outside 0..'
                         f'{len(classes) - 1} ({len(classes)} classes in its metainfo).')
    per_class = [np.flatnonzero(labels == c) for c in range(len(classes))]
    empty = [name for name, indices in zip(classes, per_class) if len(indices) == 0]
    if empty:
        raise ValueError(f'{type(dataset).__name__} has no images of class(es) {empty}; a '
                         f'long-tailed subset needs every class of its metainfo.')
    return per_class
