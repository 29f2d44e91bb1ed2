"""Scoring TDE's alpha without retraining: every alpha of a grid scored in memory.

TDE is ``z - alpha * c`` (paper Eq. 8, :meth:`~mmcausal.causal.CausalClassifier.logit_terms`),
with both (N, M) terms fixed once the model is trained. So once a split has been forwarded to
``z, c`` (:func:`mmcausal.apis.sweep_checkpoint` does it for a checkpoint), the predictions
``argmax_i (z - alpha * c)_i`` of each alpha are scored by the split's own
:class:`LongTailAccuracy` (:func:`sweep_alphas`), the metric ``tools/test.py`` reports. Plain
torch and NumPy: nothing here builds a model, a dataloader or a Runner.
"""
import math
from typing import Dict, List, Sequence

import numpy as np
from torch import Tensor

from .long_tail_accuracy import GROUPS, LongTailAccuracy

SELECT_CRITERIA = ('overall', 'few', 'balanced')


def parse_alphas(grid: str) -> List[float]:
    """The alphas of ``grid``, written ``'start:stop:step'`` (stop included) or ``'a,b,c'``.

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
            raise ValueError(f'grid={grid!r}: {part!r} is not a finite number; give '
                             'start:stop:step (e.g. 0:4:0.1) or a comma list (e.g. 0,1.5,3)')
        return value

    if ':' in grid:
        parts = grid.split(':')
        if len(parts) != 3:
            raise ValueError(f'grid={grid!r}: a range is start:stop:step, e.g. 0:4:0.1')
        start, stop, step = (number(part) for part in parts)
        if step < 1e-10:
            raise ValueError(f'grid={grid!r}: step={parts[2]} must be > 0, e.g. 0:4:0.1')
        if stop < start:
            raise ValueError(f'grid={grid!r}: stop={parts[1]} is below start={parts[0]}')
        count = math.floor((stop - start) / step + 1e-9) + 1
        alphas = [round(start + i * step, 10) for i in range(count)]
    else:
        alphas = sorted({number(part) for part in grid.split(',')})
    if alphas[0] < 0:
        raise ValueError(f'grid={grid!r}: alpha={alphas[0]} is negative; TDE needs alpha >= 0 '
                         '(alpha=0 is the de-confounded model without TDE)')
    return alphas


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


def selection_score(metrics: Dict[str, float], select: str) -> float:
    """The accuracy alpha is chosen by: ``overall``, ``few``, or ``balanced``, the mean of the
    group accuracies present (many, medium, few)."""
    if select == 'balanced':
        return float(np.mean([metrics[group] for group in GROUPS if group in metrics]))
    if select not in SELECT_CRITERIA:
        raise ValueError(f'select={select!r}: choose one of {SELECT_CRITERIA}')
    if select not in metrics:
        raise ValueError(f'select={select!r}: the split has no {select}-shot class with '
                         "samples; choose select='overall' or 'balanced'")
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
