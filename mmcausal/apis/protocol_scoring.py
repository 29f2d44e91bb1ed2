"""The rows of the long-tailed protocol of the benchmarks and ``tools/demo.py``, scored.

Per seed the linear and the de-confound config are trained with the same data, schedule and seed
(:func:`~mmcausal.apis.training.train`); :func:`score_seed` forwards each checkpoint once over the
val and the test split and scores every row of the results table from those features, choosing
any hyper-parameter on val and reporting on test:

=====================  ==================================================================
row                    prediction on test
=====================  ==================================================================
linear                 ``argmax z``, the linear model's logits
linear-la              ``argmax z - log p`` (post-hoc logit adjustment, t = 1)
linear-la-val          ``argmax z - t log p``, t best on val by overall top-1
deconfound             ``argmax z``, the de-confounded logits (Eq. 7)
deconfound-tde         ``argmax z - alpha c`` (TDE, Eq. 8) at the paper's alpha
deconfound-tde-val     the same, alpha best on val by overall top-1
=====================  ==================================================================

On a balanced val split overall top-1 is the mean of the per-class accuracies, so choosing by it
weighs every class alike.
"""
from typing import Dict, List, Optional, Sequence, Tuple

from mmcausal.evaluation import COLUMNS, class_accuracy
from mmcausal.evaluation.alpha_sweep import best_alpha_index, sweep_alphas
from .analysis import SplitTerms, split_terms

ROWS = ('linear', 'linear-la', 'linear-la-val', 'deconfound', 'deconfound-tde',
        'deconfound-tde-val')
ROW_TITLES = {'linear': 'Baseline (linear)', 'linear-la': 'Linear + logit adjustment (t = 1)',
              'linear-la-val': 'Linear + logit adjustment (t chosen on val)',
              'deconfound': 'De-confound', 'deconfound-tde': "De-confound-TDE (the paper's alpha)",
              'deconfound-tde-val': 'De-confound-TDE (alpha chosen on val)'}
# The hyper-parameter each row sets, as its key in the results.
ROW_PARAMETER = {'linear-la': 't', 'linear-la-val': 't', 'deconfound-tde': 'alpha',
                 'deconfound-tde-val': 'alpha'}


def score_seed(linear: Tuple[str, str], deconfound: Tuple[str, str], alpha: float,
               alphas: Sequence[float], ts: Sequence[float],
               cfg_options: Optional[dict] = None) -> dict:
    """Every row of :data:`ROWS` for one seed's two checkpoints: :func:`score_terms` of their
    val and test :class:`SplitTerms`.

    Args:
        linear (tuple[str, str]): Config and checkpoint of the linear model.
        deconfound (tuple[str, str]): Config and checkpoint of the de-confound model.
        alpha, alphas, ts: Those of :func:`score_terms`.
        cfg_options (dict, optional): Merged into both configs (e.g. the data of
            :func:`~mmcausal.apis.data_root_options`).
    """
    terms = {name: {split: split_terms(config, checkpoint, split, cfg_options, name == 'linear')
                    for split in ('val', 'test')}
             for name, (config, checkpoint) in (('linear', linear), ('deconfound', deconfound))}
    return score_terms(terms['linear'], terms['deconfound'], alpha, alphas, ts)


def score_terms(linear: Dict[str, SplitTerms], deconfound: Dict[str, SplitTerms], alpha: float,
                alphas: Sequence[float], ts: Sequence[float]) -> dict:
    """Every row of :data:`ROWS` from the two models' terms, hyper-parameters chosen on val.

    A row predicts ``argmax z - v c`` on test: ``v = 0`` for ``linear`` and ``deconfound``,
    ``t = 1`` for ``linear-la``, ``alpha`` for ``deconfound-tde``, and for the ``-val`` rows the
    value of ``ts`` / ``alphas`` with the best overall top-1 on val (the smallest on a tie).

    Args:
        linear (dict[str, SplitTerms]): The linear model's terms, by split (``'val'``,
            ``'test'``); c is the log prior.
        deconfound (dict[str, SplitTerms]): The de-confound model's TDE terms, by split.
        alpha (float): TDE's alpha of the ``deconfound-tde`` row (the paper's).
        alphas (Sequence[float]): The grid ``deconfound-tde-val`` chooses alpha from on val.
        ts (Sequence[float]): The grid ``linear-la-val`` chooses t from on val.

    Returns:
        dict: ``rows`` (row -> LongTailAccuracy on test in %, plus ``alpha`` or ``t``),
        ``class_accuracy`` (row -> per-class top-1 on test), ``sweep`` (the test accuracies
        of every alpha of ``alphas``, for the Fig. 4 plot), ``val`` (the val sweeps that chose
        alpha and t, by model) and ``train_class_counts`` (of the test metric).
    """
    rows, per_class, val = {}, {}, {}
    for name, terms, default, grid in (('linear', linear, 1.0, ts),
                                       ('deconfound', deconfound, alpha, alphas)):
        test, held_out = terms['test'], terms['val']
        val[name] = sweep_alphas(held_out.z, held_out.c, held_out.gt, grid, held_out.metric)
        chosen = val[name][best_alpha_index(val[name], 'overall')]['alpha']
        extra, parameter = ('la', 't') if name == 'linear' else ('tde', 'alpha')
        for row, value in ((name, 0.0), (f'{name}-{extra}', default),
                           (f'{name}-{extra}-val', chosen)):
            pred = (test.z - value * test.c).argmax(dim=1)
            rows[row] = test.metric.compute_metrics(list(zip(pred.tolist(), test.gt.tolist())))
            if row != name:
                rows[row][parameter] = value
            per_class[row] = class_accuracy(pred, test.gt, test.z.shape[1]).tolist()
    test = deconfound['test']
    return dict(rows={row: rows[row] for row in ROWS},
                class_accuracy={row: per_class[row] for row in ROWS},
                sweep=sweep_alphas(test.z, test.c, test.gt, alphas, test.metric), val=val,
                train_class_counts=list(test.metric.class_counts()))


def class_accuracy_table(class_accuracy: Dict[str, List[float]], classes: Sequence[str],
                         train_class_counts: Sequence[int]) -> List[str]:
    """Markdown lines of the per-class top-1 of every row (``score_seed``'s ``class_accuracy``),
    one column per class with its training images in parentheses."""
    header = ' | '.join(f'{name} ({count})' for name, count in zip(classes, train_class_counts))
    lines = [f'| row | {header} |', '| --- |' + ' ---: |' * len(classes)]
    return lines + [f'| {row} | ' + ' | '.join(f'{value:.1f}' for value in class_accuracy[row])
                    + ' |' for row in ROWS]


def summarize(seed_results: Sequence[dict]) -> Dict[str, Dict[str, list]]:
    """Rows of several seeds as ``row -> {key: [value per seed]}`` (the JSON of the benchmark):
    the groups ``overall``/``many``/``medium``/``few`` present and the row's ``alpha``/``t``,
    which is one number when every seed used the same."""
    summary = {}
    for row in ROWS:
        per_seed = [result['rows'][row] for result in seed_results]
        entry = {}
        parameter = ROW_PARAMETER.get(row)
        if parameter is not None:
            values = [metrics[parameter] for metrics in per_seed]
            entry[parameter] = values[0] if len(set(values)) == 1 and not row.endswith('-val') \
                else values
        for group in COLUMNS:
            if all(group in metrics for metrics in per_seed):
                entry[group] = [metrics[group] for metrics in per_seed]
        summary[row] = entry
    return summary
