"""Scoring TDE's alpha without retraining: every alpha of a grid scored in memory.

TDE is ``z - alpha * c`` (paper Eq. 8, :meth:`~mmcausal.causal.CausalClassifier.logit_terms`),
with both (N, M) terms fixed once the model is trained. So once a split has been forwarded to
``z, c`` (:func:`mmcausal.apis.sweep_checkpoint` does it for a checkpoint), the predictions
``argmax_i (z - alpha * c)_i`` of each alpha are scored by the split's own
:class:`LongTailAccuracy` (:func:`sweep_alphas`), the metric ``tools/test.py`` reports; the best
alpha is chosen by :func:`best_alpha_index`, and :func:`choose_correction` weighs TDE's best
alpha against post-hoc logit adjustment's best t on the same split. Plain torch and NumPy:
nothing here builds a model, a dataloader or a Runner, parses a command line or plots (the
grid's text: :mod:`mmcausal.apis.arguments`; Fig. 4: :mod:`mmcausal.visualization`).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from torch import Tensor

from .long_tail_accuracy import GROUPS, LongTailAccuracy

SELECT_CRITERIA = ('overall', 'few', 'balanced')
#: The criterion of the benchmarks (:mod:`mmcausal.apis.protocol_scoring`) and the tools.
DEFAULT_SELECT = 'overall'
#: What :func:`choose_correction` recommends.
CORRECTIONS = ('tde', 'deconfound', 'logit_adjustment', 'linear')


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


def choose_correction(tde: Sequence[Dict[str, float]],
                      logit_adjustment: Optional[Sequence[Dict[str, float]]] = None,
                      select: str = DEFAULT_SELECT) -> Dict[str, object]:
    """The post-hoc correction with the best :func:`selection_score` on one split.

    Each sweep is a :func:`sweep_alphas` result on the same split, starting at 0: ``tde`` over
    TDE's alpha of a de-confound model (alpha = 0: the de-confound model alone), and optionally
    ``logit_adjustment`` over t of a linear model's ``z - t log p`` (its ``'alpha'`` key holds t;
    t = 0: the linear model as trained). Each sweep's best value is :func:`best_alpha_index`'s
    (the smallest on a tie); logit adjustment wins only with a strictly higher score.

    Returns:
        dict: ``correction`` (one of :data:`CORRECTIONS`: ``'tde'`` for alpha > 0,
        ``'deconfound'`` for alpha = 0, ``'logit_adjustment'`` for t > 0, ``'linear'`` for
        t = 0), ``value`` (that alpha or t), ``metrics`` (its row of the sweep) and ``score``.
    """
    sweeps = [('tde', 'deconfound', tde)]
    if logit_adjustment is not None:
        sweeps.append(('logit_adjustment', 'linear', logit_adjustment))
    chosen = None
    for corrected, plain, sweep in sweeps:
        if not sweep or sweep[0]['alpha'] != 0:
            raise ValueError(f'the {corrected} sweep must start at 0 (the {plain} model alone) '
                             f'to compare with it; its grid starts at '
                             f'{sweep[0]["alpha"] if sweep else "nothing"}')
        metrics = sweep[best_alpha_index(sweep, select)]
        score = selection_score(metrics, select)
        if chosen is None or score > chosen['score']:
            chosen = dict(correction=corrected if metrics['alpha'] > 0 else plain,
                          value=metrics['alpha'], metrics=metrics, score=score)
    return chosen


def format_sweep(results: Sequence[Dict[str, float]], best: int, parameter: str = 'alpha') -> str:
    """A text table of a :func:`sweep_alphas` result: one line per value of ``parameter`` (the
    ``'alpha'`` key) with the accuracies in %, ``-`` for an absent group, ``*`` on line ``best``.
    """
    columns = ('overall', *GROUPS)
    lines = [f'  {parameter:>8s}' + ''.join(f'{name:>9s}' for name in columns)]
    for index, metrics in enumerate(results):
        cells = ''.join(f'{metrics[name]:9.2f}' if name in metrics else f'{"-":>9s}'
                        for name in columns)
        lines.append(f'{"*" if index == best else " "} {metrics["alpha"]:8g}{cells}')
    return '\n'.join(lines)
