"""Choosing TDE's alpha without retraining: one forward pass, then every alpha scored in memory.

TDE is ``z - alpha * c`` (paper Eq. 8, :meth:`~mmcausal.causal.CausalClassifier.logit_terms`),
with both (N, M) terms fixed once the model is trained. So a split is forwarded once to the
classifier inputs x = ``head.pre_logits(model.extract_feat(inputs))`` (:func:`head_features`),
and for each alpha the predictions ``argmax_i (z - alpha * c)_i`` are scored by the split's own
:class:`LongTailAccuracy` (:func:`sweep_alphas`), the metric ``tools/test.py`` reports.
``tools/analysis/sweep_alpha.py`` and ``tools/analysis/feature_stats.py`` are built on these.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.utils import ProgressBar
from torch import Tensor, nn
from torch.utils.data import DataLoader

from mmpretrain.apis import get_model
from mmpretrain.registry import METRICS

from mmcausal.causal import CausalClassifier
from mmcausal.datasets import train_set_counts
from .long_tail_accuracy import GROUPS, LongTailAccuracy

SPLITS = ('val', 'test')
SELECT_CRITERIA = ('overall', 'few', 'balanced')


def parse_alphas(text: str) -> List[float]:
    """The alpha grid of ``--alphas``: ``'start:stop:step'`` (stop included) or ``'a,b,c'``.

    A range holds ``start + i * step`` for i = 0, 1, ... up to ``stop`` (reached despite float
    error), each rounded to 10 decimals, so ``'0:1:0.1'`` gives 0.0, 0.1, ..., 1.0 as typed. A
    list is sorted and de-duplicated. Every alpha must be finite and >= 0.
    """
    def number(part: str) -> float:
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f'--alphas {text!r}: {part!r} is not a finite number; give '
                             'start:stop:step (e.g. 0:4:0.1) or a comma list (e.g. 0,1.5,3)')
        return value

    if ':' in text:
        parts = text.split(':')
        if len(parts) != 3:
            raise ValueError(f'--alphas {text!r}: a range is start:stop:step, e.g. 0:4:0.1')
        start, stop, step = (number(part) for part in parts)
        if step < 1e-10:
            raise ValueError(f'--alphas {text!r}: step={parts[2]} must be > 0, e.g. 0:4:0.1')
        if stop < start:
            raise ValueError(f'--alphas {text!r}: stop={parts[1]} is below start={parts[0]}')
        count = math.floor((stop - start) / step + 1e-9) + 1
        alphas = [round(start + i * step, 10) for i in range(count)]
    else:
        alphas = sorted({number(part) for part in text.split(',')})
    if alphas[0] < 0:
        raise ValueError(f'--alphas {text!r}: alpha={alphas[0]} is negative; TDE needs alpha >= 0 '
                         '(alpha=0 is the de-confounded model without TDE)')
    return alphas


def head_classifier(model: nn.Module, tde: bool = True) -> CausalClassifier:
    """The :class:`CausalClassifier` of ``model.head`` (a ``TDEClsHead``), checked for analysis.

    Its head direction must be non-zero (recorded in training by ``HeadDirectionHook``), and
    with ``tde`` its classifier must be a normalized one, for which TDE is defined.
    """
    head = getattr(model, 'head', None)
    classifier = getattr(head, 'classifier', None)
    if not isinstance(classifier, CausalClassifier):
        raise ValueError(f'model.head is {type(head).__name__}, not a TDEClsHead: the analysis '
                         "needs an mmpretrain classifier with head=dict(type='TDEClsHead', ...) "
                         '(for mmdet detectors see tools/analysis/sweep_alpha.py, Detection)')
    if tde and classifier.classifier == 'linear':
        raise ValueError("model.head has classifier='linear', for which TDE is undefined; sweep "
                         "a model trained with classifier='deconfound', 'cosine' or 'capsule'")
    if classifier.direction.is_zero:
        raise ValueError('the head direction of the checkpoint is zero, so TDE and cos(x, d) are '
                         'undefined: load a checkpoint trained with HeadDirectionHook (the '
                         'configs of mmcausal add it) and check the CHECKPOINT path')
    return classifier


def split_data(cfg: Config, split: str) -> Tuple[DataLoader, LongTailAccuracy]:
    """The dataloader of ``cfg.{split}_dataloader`` and the LongTailAccuracy of its evaluator.

    The dataloader is built by ``Runner.build_dataloader`` (the registries' default scope must
    be set); the metric from ``cfg.{split}_evaluator`` with ``dataset_meta`` set to the
    dataset's metainfo, as the Runner's evaluator does.
    """
    if split not in SPLITS:
        raise ValueError(f'--split {split!r}: choose one of {SPLITS}')
    if cfg.get(f'{split}_dataloader') is None or cfg.get(f'{split}_evaluator') is None:
        raise ValueError(f'--split {split}: the config has no {split}_dataloader and '
                         f'{split}_evaluator; choose a split it defines')
    evaluator = cfg.get(f'{split}_evaluator')
    metrics = [METRICS.build(metric) for metric in
               (evaluator if isinstance(evaluator, (list, tuple)) else [evaluator])]
    long_tail = [metric for metric in metrics if isinstance(metric, LongTailAccuracy)]
    if not long_tail:
        raise ValueError(f'--split {split}: {split}_evaluator of the config has no '
                         f'LongTailAccuracy (it has {[type(m).__name__ for m in metrics]}); '
                         'choose a split it scores, e.g. --split val for the CIFAR-LT configs')
    dataloader = Runner.build_dataloader(cfg.get(f'{split}_dataloader'))
    metric = long_tail[0]
    metric.dataset_meta = dataloader.dataset.metainfo
    if not metric.has_class_counts:  # as TrainClassCountsHook does for tools/test.py
        metric.set_train_class_counts(*train_set_counts(cfg.get('train_dataloader')))
    return dataloader, metric


def load_for_analysis(config: str, checkpoint: str, split: str, cfg_options: Optional[dict] = None,
                      tde: bool = True) -> Tuple[nn.Module, DataLoader, LongTailAccuracy]:
    """The eval-mode model of ``config`` with ``checkpoint``, and the split's data and metric.

    ``cfg_options`` are merged into the config first, as ``tools/test.py`` does. The model is
    built and loaded (mmengine's ``load_checkpoint``) by mmpretrain's ``get_model``, on the GPU
    when there is one, and checked by :func:`head_classifier` (with ``tde``) before the data of
    :func:`split_data` is built.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope != 'mmpretrain':
        raise ValueError(f'CONFIG {config} is an {scope} config; the analysis tools take '
                         'mmpretrain classifiers (for mmdet detectors see '
                         'tools/analysis/sweep_alpha.py, Detection)')
    init_default_scope(scope)
    model = get_model(cfg, checkpoint, device='cuda' if torch.cuda.is_available() else 'cpu')
    head_classifier(model, tde)
    return (model, *split_data(cfg, split))


@torch.no_grad()
def head_features(model: nn.Module, dataloader: DataLoader) -> Tuple[Tensor, Tensor]:
    """One pass of ``dataloader`` through an eval-mode ``ImageClassifier`` up to its head.

    Each batch goes ``data_preprocessor -> extract_feat -> head.pre_logits``, the path of
    ``model.test_step``, with a progress bar over the samples.

    Returns:
        tuple[Tensor, Tensor]: The classifier inputs x (N, C) and the true labels (N,), in the
        dataloader's order, on the model's device.
    """
    progress = ProgressBar(len(dataloader.dataset))
    features, labels = [], []
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        features.append(model.head.pre_logits(model.extract_feat(data['inputs'])))
        labels.append(torch.cat([sample.gt_label for sample in data['data_samples']]))
        progress.update(len(data['data_samples']))
    return torch.cat(features), torch.cat(labels).to(features[0].device)


def sweep_alphas(z: Tensor, c: Tensor, gt_labels: Tensor, alphas: Sequence[float],
                 metric: LongTailAccuracy) -> List[Dict[str, float]]:
    """Accuracies of the TDE predictions ``argmax_i (z - alpha * c)_i`` for every alpha.

    Args:
        z (Tensor): De-confounded logits, (N, M).
        c (Tensor): The head-direction term of TDE, (N, M).
        gt_labels (Tensor): True labels, (N,).
        alphas (Sequence[float]): The TDE strengths to score.
        metric (LongTailAccuracy): Scores each alpha's ``(pred, gt)`` pairs with its
            ``compute_metrics``, as ``tools/test.py`` does (``dataset_meta`` set).

    Returns:
        list[dict]: Per alpha ``{'alpha', 'overall', 'many', 'medium', 'few'}`` in percent,
        without the groups that have no tested class.
    """
    gt = gt_labels.tolist()
    return [dict(alpha=alpha,
                 **metric.compute_metrics(list(zip((z - alpha * c).argmax(dim=1).tolist(), gt))))
            for alpha in alphas]


def sweep_checkpoint(config: str, checkpoint: str, split: str, alphas: Sequence[float],
                     cfg_options: Optional[dict] = None) -> Tuple[List[Dict[str, float]], int]:
    """The whole sweep of a checkpoint: :func:`load_for_analysis`, :func:`head_features` once,
    ``z, c`` once, then :func:`sweep_alphas`.

    Returns:
        tuple[list[dict], int]: The accuracies per alpha (see :func:`sweep_alphas`) and the
        number of samples of the split they were scored on.
    """
    model, dataloader, metric = load_for_analysis(config, checkpoint, split, cfg_options)
    features, gt_labels = head_features(model, dataloader)
    with torch.no_grad():
        z, c = model.head.classifier.logit_terms(features)
    return sweep_alphas(z, c, gt_labels, alphas, metric), len(gt_labels)


def selection_score(metrics: Dict[str, float], select: str) -> float:
    """The accuracy alpha is chosen by: ``overall``, ``few``, or ``balanced``, the mean of the
    group accuracies present (many, medium, few)."""
    if select == 'balanced':
        return float(np.mean([metrics[group] for group in GROUPS if group in metrics]))
    if select not in SELECT_CRITERIA:
        raise ValueError(f'--select {select!r}: choose one of {SELECT_CRITERIA}')
    if select not in metrics:
        raise ValueError(f'--select {select}: the split has no {select}-shot class with samples; '
                         'choose --select overall or balanced')
    return metrics[select]


def best_alpha_index(results: Sequence[Dict[str, float]], select: str) -> int:
    """Index of the result with the highest :func:`selection_score`; the smallest alpha wins a
    tie."""
    return int(np.argmax([selection_score(metrics, select) for metrics in results]))


def plot_sweeps(sweeps: Sequence[Sequence[Dict[str, float]]], path: str, title: str,
                marks: Dict[str, float]) -> None:
    """Accuracy (%) of each group against alpha (paper Fig. 4) to a PNG.

    Args:
        sweeps (Sequence[list[dict]]): One :func:`sweep_alphas` result per seed, on the same
            alphas; drawn as their mean with a min-max band when there are several.
        path (str): The PNG to write.
        title (str): The plot's title.
        marks (dict[str, float]): Alphas to mark with a dashed line, by legend label.
    """
    from matplotlib.figure import Figure  # only plotting needs matplotlib
    figure = Figure(figsize=(6, 4), tight_layout=True)
    axes = figure.add_subplot()
    alphas = [point['alpha'] for point in sweeps[0]]
    for group in ('overall', *GROUPS):
        if group not in sweeps[0][0]:
            continue
        curves = np.array([[point[group] for point in sweep] for sweep in sweeps])
        line, = axes.plot(alphas, curves.mean(0), marker='.', label=group)
        if len(sweeps) > 1:
            axes.fill_between(alphas, curves.min(0), curves.max(0), color=line.get_color(),
                              alpha=0.2)
    for label, alpha in marks.items():
        axes.axvline(alpha, color='grey', linestyle='--', label=label)
    axes.set(xlabel='TDE parameter alpha', ylabel='top-1 accuracy (%)', title=title)
    axes.legend()
    figure.savefig(path, dpi=100)
