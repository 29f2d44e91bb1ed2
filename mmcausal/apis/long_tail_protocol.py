"""The short-budget long-tailed protocol of the CPU benchmarks and ``tools/demo.py``.

Per seed: train the linear and the de-confound config (same data, schedule and seed), forward
each checkpoint once over the val and the test split, and score every row of the results table
from those features, choosing any hyper-parameter on val and reporting on test:

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
import os
import os.path as osp
import tarfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

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


CIFAR10_TRAIN_IMAGES = 50000


def extract_cifar10_jpg(archive: str, data: str) -> str:
    """Extract the 50,000 CIFAR-10 training JPEGs of ``archive`` (``train/<class>/NNNN.jpg``)
    into ``{data}/train`` unless they are all there; returns that folder of class folders."""
    folder = osp.join(data, 'train')
    if osp.isdir(folder) and sum(
            len(files) for _, _, files in os.walk(folder)) == CIFAR10_TRAIN_IMAGES:
        return folder
    print(f'extracting {archive} into {data}', flush=True)
    os.makedirs(data, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(data, filter='data')
    return folder


def tiny_data_options() -> dict:
    """``--cfg-options`` of a config of ``configs/cifar10_jpg_lt/`` for a check end to end in
    minutes, not a result: a long-tailed subset of ratio 10 with 30 head images, 25 + 25
    held-out images per class for val and test (80 images per class are enough)."""
    return long_tailed_options(imbalance_ratio=10, max_per_class=30, held_out_per_class=50,
                               val_per_class=25)


def tiny_run_options() -> dict:
    """:func:`tiny_data_options` and 1 epoch of one-cycle (the short-budget configs)."""
    return dict(tiny_data_options(), **{'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
                                        'param_scheduler.0.total_steps': 1})


def long_tailed_options(data_root: Optional[str] = None, **dataset_args) -> dict:
    """``--cfg-options`` that set the same ``LongTailedDataset`` arguments (e.g.
    ``imbalance_ratio``, ``max_per_class``, ``held_out_per_class``, ``val_per_class``) and the
    image folder ``data_root`` (class folders directly under it) in the train, val and test
    dataloaders of a config of ``configs/cifar10_jpg_lt/`` (``DecodedImages`` of a
    ``LongTailedDataset`` of a ``CustomDataset``)."""
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        long_tailed = f'{loader}.dataset.dataset'
        options.update({f'{long_tailed}.{key}': value for key, value in dataset_args.items()})
        if data_root is not None:
            options[f'{long_tailed}.dataset.data_root'] = data_root
    return options


def train(config: str, work_dir: str, seed: int,
          cfg_options: Optional[dict] = None) -> Tuple[str, float]:
    """Train ``config`` with ``randomness.seed=seed`` (initialization and data order) into
    ``work_dir``; returns its last checkpoint and the training throughput in images/s (wall
    clock of ``Runner.train``, start-up and the final validation included)."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(work_dir=work_dir, randomness=dict(seed=seed), **(cfg_options or {})))
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    images = len(runner.train_dataloader.dataset) * runner.max_epochs
    return osp.join(runner.work_dir, f'epoch_{runner.max_epochs}.pth'), images / seconds


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
            :func:`long_tailed_options`).
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
