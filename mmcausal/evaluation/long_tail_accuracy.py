"""Top-1 accuracy overall and on many-, medium- and few-shot classes (Liu et al. 2019, Tang et al.
2020, Tables 2, 3, 7)."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

GROUPS = ('many', 'medium', 'few')
# The columns of every long-tail table, in order: overall top-1, then the groups.
COLUMNS = ('overall', ) + GROUPS
# The colour of each group in the plots of the tools, one per group wherever it is drawn.
GROUP_COLORS = dict(many='tab:blue', medium='tab:orange', few='tab:green')


@METRICS.register_module()
class LongTailAccuracy(BaseMetric):
    """Top-1 accuracy overall and per frequency group of the training classes.

    With ``n_c`` the training images of class ``c``, the groups are

        many    n_c > many_shot_thr
        medium  few_shot_thr <= n_c <= many_shot_thr
        few     n_c < few_shot_thr

    and, in percent,

        overall = 100 * #correct / #samples                  (plain top-1, like ``Accuracy``)
        group   = mean over the group's classes c of 100 * #correct_c / #samples_c

    where a group's mean runs over its classes that have test samples. A group without such a
    class is absent from the result (not 0): CIFAR-10-LT has no few-shot test classes, for one.

    ``process`` keeps two ints per sample (predicted and true label), so distributed evaluation
    gathers little; :meth:`calculate` does the arithmetic on arrays, for offline use (e.g. an
    alpha sweep).

    Args:
        many_shot_thr (int): More training images than this is many-shot. Defaults to 100.
        few_shot_thr (int): Fewer training images than this is few-shot. Defaults to 20.
        train_class_counts (Sequence[int], optional): Training images per class. Defaults to
            ``dataset_meta['train_class_counts']`` of the evaluated dataset, which
            :class:`LongTailedDataset` and :class:`ImageNetLT` provide, else the counts
            :class:`TrainClassCountsHook` sets from the config's training set (every config
            inheriting mmcausal's ``default_runtime.py`` has the hook).
        collect_device (str): ``'cpu'`` or ``'gpu'``, for gathering results across ranks.
        prefix (str, optional): Key prefix. Defaults to ``'long_tail'``, giving the keys
            ``long_tail/overall``, ``long_tail/many``, ``long_tail/medium``, ``long_tail/few``.
    """

    default_prefix: Optional[str] = 'long_tail'

    def __init__(self,
                 many_shot_thr: int = 100,
                 few_shot_thr: int = 20,
                 train_class_counts: Optional[Sequence[int]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        _check_thresholds(many_shot_thr, few_shot_thr)
        self.thresholds = (many_shot_thr, few_shot_thr)
        self.train_class_counts = train_class_counts

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep ``(pred_label, gt_label)`` of each sample, as set by mmpretrain's heads."""
        for data_sample in data_samples:
            self.results.append((int(data_sample['pred_label']), int(data_sample['gt_label'])))

    def compute_metrics(self, results: List[Tuple[int, int]]) -> Dict[str, float]:
        """Accuracies (see the class docstring) of all gathered ``(pred, gt)`` pairs."""
        pred_labels = [pred for pred, _ in results]
        gt_labels = [gt for _, gt in results]
        return self.calculate(pred_labels, gt_labels, self.class_counts(), self.thresholds)

    @property
    def has_class_counts(self) -> bool:
        """Whether the training counts are known: given, or in ``dataset_meta``."""
        return (self.train_class_counts is not None
                or (self.dataset_meta or {}).get('train_class_counts') is not None)

    def set_train_class_counts(self, counts: Sequence[int],
                               classes: Optional[Sequence[str]] = None) -> None:
        """Use ``counts`` (one per class) of a training set whose class names are ``classes``.

        Raises if ``classes`` and ``dataset_meta['classes']`` of the evaluated set differ: the
        labels of the two sets would then name different classes (e.g. a ``CustomDataset``
        split lacking a class folder shifts the labels of the classes after it).
        """
        evaluated = (self.dataset_meta or {}).get('classes')
        if classes is not None and evaluated is not None and tuple(classes) != tuple(evaluated):
            raise ValueError(
                f'LongTailAccuracy: the training set has the classes {tuple(classes)} but the '
                f'evaluated set {tuple(evaluated)}; give both the same classes (a CustomDataset '
                'folder per class in every split, or the same metainfo=dict(classes=...)), or '
                'pass train_class_counts=[...] to the metric.')
        self.train_class_counts = list(counts)

    def class_counts(self) -> Sequence[int]:
        """Training images per class: the argument, else ``dataset_meta['train_class_counts']``."""
        counts = self.train_class_counts
        if counts is None:
            counts = (self.dataset_meta or {}).get('train_class_counts')
        if counts is None:
            raise ValueError(
                'LongTailAccuracy needs the training images per class (train_class_counts): '
                "add default_hooks = dict(train_class_counts=dict(type='TrainClassCountsHook')) "
                "as mmcausal's _base_/default_runtime.py does, which counts them in the training "
                'set of train_dataloader, or pass '
                "dict(type='LongTailAccuracy', train_class_counts=[...]), one count per class.")
        return counts

    @staticmethod
    def class_groups(train_class_counts: Sequence[int],
                     thresholds: Tuple[int, int] = (100, 20)) -> Dict[str, np.ndarray]:
        """Boolean masks (C,) of the ``many``, ``medium`` and ``few`` classes."""
        _check_thresholds(*thresholds)
        many_shot_thr, few_shot_thr = thresholds
        counts = np.asarray(train_class_counts, dtype=np.int64)
        return {'many': counts > many_shot_thr,
                'medium': (counts >= few_shot_thr) & (counts <= many_shot_thr),
                'few': counts < few_shot_thr}

    @staticmethod
    def class_group_names(train_class_counts: Sequence[int],
                          thresholds: Tuple[int, int] = (100, 20)) -> List[str]:
        """The group of each class, ``'many'``, ``'medium'`` or ``'few'``, length C."""
        masks = LongTailAccuracy.class_groups(train_class_counts, thresholds)
        return [next(group for group in GROUPS if masks[group][c])
                for c in range(len(train_class_counts))]

    @staticmethod
    def calculate(pred_labels: Sequence[int],
                  gt_labels: Sequence[int],
                  train_class_counts: Sequence[int],
                  thresholds: Tuple[int, int] = (100, 20)) -> Dict[str, float]:
        """Overall and per-group accuracy in percent.

        Args:
            pred_labels (Sequence[int] | np.ndarray | Tensor): Predicted labels, shape (N,).
            gt_labels (Sequence[int] | np.ndarray | Tensor): True labels, shape (N,).
            train_class_counts (Sequence[int]): Training images per class, length C.
            thresholds (tuple[int, int]): ``(many_shot_thr, few_shot_thr)``.

        Returns:
            dict[str, float]: ``overall`` and those of ``many``, ``medium``, ``few`` that have
            classes with test samples.
        """
        members = LongTailAccuracy.class_groups(train_class_counts, thresholds)
        pred = _as_labels(pred_labels)
        gt = _as_labels(gt_labels)
        counts = np.asarray(train_class_counts, dtype=np.int64)
        if pred.shape != gt.shape or gt.size == 0:
            raise ValueError(f'pred_labels and gt_labels must be non-empty and of one length, '
                             f'got {pred.size} and {gt.size}.')
        if gt.min() < 0 or gt.max() >= counts.size:
            raise ValueError(f'train_class_counts has {counts.size} classes but gt_labels '
                             f'range over {gt.min()}..{gt.max()}; give one count per class.')
        class_acc = class_accuracy(pred, gt, counts.size)
        metrics = {'overall': 100.0 * float((pred == gt).mean())}
        for group in GROUPS:
            tested = members[group] & ~np.isnan(class_acc)
            if tested.any():
                metrics[group] = float(class_acc[tested].mean())
        return metrics


def class_accuracy(pred_labels, gt_labels, num_classes: int) -> np.ndarray:
    """Top-1 accuracy (%) of each class, (C,), from labels of shape (N,) (sequences, arrays or
    tensors); NaN for a class without samples. A group's accuracy is the mean over its classes."""
    pred, gt = _as_labels(pred_labels), _as_labels(gt_labels)
    samples = np.bincount(gt, minlength=num_classes)
    hits = np.bincount(gt, weights=pred == gt, minlength=num_classes)
    with np.errstate(invalid='ignore'):
        return 100.0 * hits / samples


def group_rules(thresholds: Tuple[int, int] = (100, 20)) -> Dict[str, str]:
    """Each group's training images per class in words, e.g. ``{'many': '> 100', 'medium':
    '20..100', 'few': '< 20'}`` for ``thresholds`` ``(many_shot_thr, few_shot_thr)``."""
    _check_thresholds(*thresholds)
    many_shot_thr, few_shot_thr = thresholds
    return {'many': f'> {many_shot_thr}', 'medium': f'{few_shot_thr}..{many_shot_thr}',
            'few': f'< {few_shot_thr}'}


def groups_in_words(thresholds: Tuple[int, int] = (100, 20)) -> str:
    """:func:`group_rules` as one caption, e.g. ``'many-shot > 100, medium-shot 20..100,
    few-shot < 20'``."""
    return ', '.join(f'{group}-shot {rule}' for group, rule in group_rules(thresholds).items())


def _check_thresholds(many_shot_thr: int, few_shot_thr: int) -> None:
    if not 0 <= few_shot_thr <= many_shot_thr:
        raise ValueError(f'LongTailAccuracy needs 0 <= few_shot_thr <= many_shot_thr, got '
                         f'few_shot_thr={few_shot_thr}, many_shot_thr={many_shot_thr}.')


def _as_labels(labels) -> np.ndarray:
    """Labels as an int64 array of shape (N,)."""
    if isinstance(labels, torch.Tensor):
        labels = labels.cpu().numpy()
    return np.asarray(labels, dtype=np.int64).reshape(-1)
