"""LVIS-mini: do de-confound and TDE lift the rare categories once the models train longer?

    nice -n 19 python benchmarks/lvis_mini_epochs.py [--data DIR] [--epochs 4 12] [--seed 0]
        [--work-dir DIR] [--out DIR] [--smoke]

The counterfactual of ``benchmarks/lvis_mini_cpu.py``, where after 4 epochs TDE lifts APc but
not APr and the de-confound model classifies none of its own rare training objects given their
box: is the short schedule the cause? For each of ``--epochs`` it trains the ``linear`` and
``deconfound`` configs of ``configs/lvis_mini/`` (seed ``--seed``) with that many epochs of the
same one-cycle schedule (``train_cfg.max_epochs`` and the scheduler's ``total_steps``;
everything else, speed settings included, as the benchmark trains it) and measures the linear
model, and the de-confound one at alpha = 0 (de-confound) and the paper's alpha (TDE,
background exempted):

- mask AP, APr, APc, APf and box AP on the test scenes (``LVISMetric``);
- the share of the rare, common and frequent objects of its own training scenes that their
  ground-truth box classifies as their category (first, and among the top 5):
  :func:`~mmcausal.apis.detection_analysis.outcome_rates`.

Resumable as the benchmark (the same command continues each model from its last checkpoint;
every score is kept in ``WORK_DIR/scores.json``). Writes ``lvis_mini_epochs.json`` into
``--out`` (default ``benchmarks/results``; smoke: the work directory): ``effects``, per measure
(rows) and per epochs and model (columns ``linear``, ``de-confound``, ``TDE``), in %, as
``benchmarks/render_tables.py`` shows it, and ``setup``. ``--smoke``: 10 detections per
image, for a dry run on a tiny generated set.
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import torch
from lvis_mini_cpu import (Scores, config, data_argument, output_dirs, paper_alpha, score,
                           test_options, train_options)
from mmengine.config import Config

from mmcausal.apis import train
from mmcausal.apis.detection_analysis import outcome_rates, setting_name, split_dataset
from mmcausal.apis.long_runs import check_settings

TEST_METRICS = {'segm_AP': 'test: mask AP', 'segm_APr': 'test: APr', 'segm_APc': 'test: APc',
                'segm_APf': 'test: APf', 'bbox_AP': 'test: box AP'}
GROUPS = {'r': 'rare', 'c': 'common', 'f': 'frequent'}
MODELS = ('linear', 'deconfound')


def schedule_options(epochs: int) -> dict:
    """``cfg_options`` stretching the configs' one-cycle schedule over ``epochs``."""
    return {'train_cfg.max_epochs': epochs, 'param_scheduler.0.total_steps': epochs}


def measure(model: str, epochs: int, checkpoint: str, data: str, smoke: bool, work_dir: str,
            scores: Scores) -> Dict[str, Dict[str, float]]:
    """The test metrics and the shares of the training objects classified of ``model``
    (``'linear'`` or ``'deconfound'``) trained for ``epochs``: per column, ``'linear'``, or
    ``'de-confound'`` and ``'TDE'`` (the de-confound model at alpha 0 and the paper's)."""
    options = test_options(data, smoke)
    if model == 'linear':
        row, settings, alphas = 'linear', {'linear': None}, None
    else:
        row, settings = 'deconfound-tde', {'de-confound': 0.0, 'TDE': paper_alpha()}
        alphas = list(settings.values())
    cfg = Config.fromfile(config(row))
    cfg.merge_from_dict(options)
    outcomes = scores.get(f'{epochs}e/outcomes/train/{model}', lambda: outcome_rates(
        cfg, checkpoint, split_dataset(cfg, 'train'), alphas))
    result = {}
    for column, alpha in settings.items():
        setting = setting_name(alpha)
        key = f'{epochs}e/test/{model}/{setting}'
        metrics = scores.get(key, lambda: score(row, checkpoint, 'test',
                                                osp.join(work_dir, 'scores', key), options,
                                                alpha))
        shares = outcomes[setting]
        result[column] = dict(
            {title: metrics[name] for name, title in TEST_METRICS.items()},
            **{f'train: {GROUPS[group]} classified': shares['classified'][group]
               for group in shares['classified']},
            **{f'train: {GROUPS[group]} in top 5': shares['top5'][group]
               for group in shares['top5']})
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default=osp.join('data', 'lvis_mini'),
                        help='LVIS-mini as tools/dataset_converters/lvis_mini.py writes it '
                        '(default: data/lvis_mini)')
    parser.add_argument('--epochs', type=int, nargs='+', default=[4, 12],
                        help='epochs of each linear and de-confound model (default: 4 12)')
    parser.add_argument('--seed', type=int, default=0, help='seed of every model (default: 0)')
    parser.add_argument('--work-dir', help='checkpoints, logs and scores; rerun with the same one '
                        'to resume (default: work_dirs/lvis_mini_epochs[_smoke])')
    parser.add_argument('--out', help='results (default: benchmarks/results; smoke: the work '
                        'directory)')
    parser.add_argument('--smoke', action='store_true', help='10 detections per test image')
    args = parser.parse_args()
    if min(args.epochs) < 1:
        parser.error(f'--epochs {args.epochs}: every number of epochs must be >= 1')
    args.data = data_argument(parser, args.data)
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)
    work_dir, out = output_dirs('lvis_mini_epochs', args.work_dir, args.out, args.smoke)
    check_settings(work_dir, dict(data=args.data, seed=args.seed, smoke=args.smoke))
    checkpoints: Dict[Tuple[int, str], str] = {}
    for epochs in args.epochs:
        options = dict(train_options(args.data, smoke=False), **schedule_options(epochs))
        for model in MODELS:
            folder = osp.join(work_dir, f'{model}-{epochs}e')
            checkpoints[epochs, model], _ = train(
                config(model), folder, seed=args.seed,
                cfg_options=dict(options, **{'visualizer.name': folder}))
    scores = Scores(work_dir)
    effects: Dict[str, Dict[str, float]] = {}
    for (epochs, model), checkpoint in checkpoints.items():
        for column, values in measure(model, epochs, checkpoint, args.data, args.smoke,
                                      work_dir, scores).items():
            effects[f'{epochs} epoch{"s" * (epochs > 1)}: {column}'] = values
    setup = dict(seed=args.seed, epochs=args.epochs, smoke=args.smoke)
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'lvis_mini_epochs.json'), 'w') as f:
        json.dump(dict(effects=effects, setup=setup), f, indent=2)
    columns: List[str] = list(effects)
    print('| measure | ' + ' | '.join(columns) + ' |')
    for name in effects[columns[0]]:
        print(f'| {name} | ' + ' | '.join(f'{effects[c][name]}' for c in columns) + ' |')
    print(f'wrote lvis_mini_epochs.json into {out}')


if __name__ == '__main__':
    main()
