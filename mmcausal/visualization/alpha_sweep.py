"""Accuracy against TDE's alpha (paper Fig. 4)."""
from typing import Dict, Sequence

import numpy as np
from matplotlib.figure import Figure

from mmcausal.evaluation import COLUMNS


def plot_sweeps(sweeps: Sequence[Sequence[Dict[str, float]]], path: str, title: str,
                marks: Dict[str, float]) -> None:
    """Accuracy (%) of each group against alpha (paper Fig. 4) to a PNG.

    Args:
        sweeps (Sequence[list[dict]]): One
            :func:`~mmcausal.evaluation.alpha_sweep.sweep_alphas` result per seed, on the same
            alphas; drawn as their mean with a min-max band when there are several.
        path (str): The PNG to write.
        title (str): The plot's title.
        marks (dict[str, float]): Alphas to mark with a dashed line, by legend label.
    """
    figure = Figure(figsize=(6, 4), tight_layout=True)
    axes = figure.add_subplot()
    alphas = [point['alpha'] for point in sweeps[0]]
    for group in COLUMNS:
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
