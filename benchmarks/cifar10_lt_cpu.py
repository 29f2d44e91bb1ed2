"""CIFAR-10-LT (ratio 100) on the CPU with a short budget, seeds side by side.

    python benchmarks/cifar10_lt_cpu.py [--seeds 0 1 2] [--work-dir DIR] [--smoke]

(``bash benchmarks/cifar10_lt_cpu.sh`` runs it.) For every seed it trains the linear and the
de-confound configs of ``configs/cifar10_jpg_lt/`` (8 epochs of one-cycle) and scores the rows
of :mod:`mmcausal.apis.long_tail_protocol` (linear, linear + logit adjustment, de-confound,
de-confound-TDE at the paper's alpha = 1 and with alpha chosen on val) on the test split; alpha
and t are chosen on the disjoint val split. It checks the in-memory TDE row of the first seed
against ``Runner.test()`` of the de-confound-TDE config, then writes to ``--results``:

- ``cifar10_lt_cpu.json``: ``{"seeds": [...], "rows": {row: {"overall": [per seed], ...}}}``;
- ``cifar10_lt_cpu.md``: mean +- std per row, per-class top-1 of the first seed, training img/s;
- ``cifar10_lt_cpu_alpha_sweep.png``: test accuracy against alpha (Fig. 4), mean and min-max
  over seeds.

``--smoke`` checks the script end to end in minutes (``tiny_run_options``: 1 epoch, head class
30 images at ratio 10, 25 + 25 held-out images per class) and writes into the work directory.
"""
import argparse
import json
import os
import os.path as osp
import platform
import time
from typing import Dict, List, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from mmcausal.apis import (ROW_TITLES, ROWS, class_accuracy_table, extract_cifar10_jpg,
                           score_seed, summarize, tiny_run_options, train)
from mmcausal.evaluation.alpha_sweep import parse_alphas, plot_sweeps

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'cifar10_jpg_lt')
SUFFIX = 'resnet32_1xb128-onecycle-8e_cifar10-jpg-lt-r100.py'
ARCHIVE = osp.join(ROOT, '..', 'shared', 'data', 'cifar10-jpg', 'train.tar.gz')
DATA = osp.join(ROOT, 'data', 'cifar10-jpg')
ALPHA = 1.0  # the paper's CIFAR-10-LT alpha
PAPER = {'deconfound': 71.7, 'deconfound-tde': 80.6}  # Table 3, 200 epochs, official test set


def config(row: str) -> str:
    return osp.join(CONFIGS, f'{row}_{SUFFIX}')


def mean_std(values: Sequence[float]) -> str:
    """Mean ± sample standard deviation (ddof 1; just the value for one seed)."""
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}'


def markdown(seeds: Sequence[int], results: List[dict], rows: Dict[str, dict],
             throughput: Dict[str, List[float]], setup: dict) -> str:
    classes = setup['classes']
    lines = [
        '# CIFAR-10-LT on CPU, short budget (benchmarks/cifar10_lt_cpu.sh)', '',
        f"{setup['machine']}; {setup['minutes']:.0f} min for the whole script; load average "
        f"{setup['load'][0]:.1f} at the start, {setup['load'][1]:.1f} at the end.", '',
        f"Data: the real CIFAR-10 training JPEGs; long-tailed training subset "
        f"{setup['train_class_counts']} ({sum(setup['train_class_counts'])} images, ratio "
        f"{setup['ratio']:g}); val and test: {setup['val']} and {setup['test']} held-out images "
        'per class that the subset leaves unused (balanced, disjoint). alpha and t are chosen on '
        'val by overall top-1; every number below is on test. Model: ResNet-32 with the paper\'s '
        f"head and optimizer; {setup['epochs']} epoch(s) of one-cycle (lr 0.1, batch 128). Seeds "
        f'{list(seeds)} (initialization and data order; the subset is fixed). Top-1 in %, mean '
        '± sample std over seeds; many-shot: > 100 training images, medium: 20-100, few: < 20.', '',
        '| row | overall | many | medium | alpha or t | paper, 200 epochs, overall |',
        '| --- | --- | --- | --- | --- | --- |',
    ]
    for row in ROWS:
        entry = rows[row]
        parameter = entry.get('alpha', entry.get('t', '-'))
        if isinstance(parameter, list):
            parameter = ', '.join(f'{value:g}' for value in parameter)
        cells = [mean_std(entry[group]) if group in entry else '-'
                 for group in ('overall', 'many', 'medium')]
        lines.append(f'| {ROW_TITLES[row]} | ' + ' | '.join(cells)
                     + f" | {parameter} | {PAPER.get(row, '-')} |")
    lines += ['', f'Per-class top-1 on test, seed {seeds[0]} (training images per class in '
              'parentheses):', '',
              *class_accuracy_table(results[0]['class_accuracy'], classes,
                                    setup['train_class_counts'])]
    lines += ['', 'Training throughput (images/s, wall clock of Runner.train with start-up and the '
              'final validation): ' + '; '.join(
                  f'{row} {mean_std(values)}' for row, values in throughput.items()) + '.', '']
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', help='default: work_dirs/cifar10_lt_cpu[_smoke]')
    parser.add_argument('--results', help='default: benchmarks/results (smoke: the work dir)')
    parser.add_argument('--smoke', action='store_true', help='tiny end-to-end check')
    args = parser.parse_args()
    start, load = time.perf_counter(), os.getloadavg()[0]
    work_dir = args.work_dir or f"work_dirs/cifar10_lt_cpu{'_smoke' if args.smoke else ''}"
    results_dir = args.results or (work_dir if args.smoke else osp.join(ROOT, 'benchmarks',
                                                                          'results'))
    os.makedirs(results_dir, exist_ok=True)
    extract_cifar10_jpg(ARCHIVE, DATA)
    options = tiny_run_options() if args.smoke else {}
    results, throughput = [], {'linear': [], 'deconfound': []}
    for seed in args.seeds:
        checkpoints = {}
        for row in ('linear', 'deconfound'):
            checkpoints[row], images_per_s = train(
                config(row), osp.join(work_dir, f'seed{seed}', row), seed, options)
            throughput[row].append(images_per_s)
            print(f'seed {seed}: trained {row} at {images_per_s:.0f} img/s', flush=True)
        results.append(score_seed((config('linear'), checkpoints['linear']),
                                  (config('deconfound'), checkpoints['deconfound']), ALPHA,
                                  alphas=parse_alphas('0:3:0.1'), ts=parse_alphas('0:3:0.1'),
                                  cfg_options=options))
        print(f"seed {seed}: " + ', '.join(f"{row} {metrics['overall']:.2f}"
                                           for row, metrics in results[-1]['rows'].items()))
        if seed == args.seeds[0]:  # the in-memory scoring is what tools/test.py reports
            cfg = Config.fromfile(config('deconfound-tde'))
            cfg.merge_from_dict(dict(options, work_dir=osp.join(work_dir, f'seed{seed}', 'tde'),
                                     load_from=checkpoints['deconfound']))
            tested = Runner.from_cfg(cfg).test()['long_tail/overall']
            scored = results[-1]['rows']['deconfound-tde']['overall']
            if abs(tested - scored) > 1e-6:
                raise RuntimeError(f'Runner.test() gives TDE {tested}, the scoring {scored}')
    rows = summarize(results)
    with open(osp.join(results_dir, 'cifar10_lt_cpu.json'), 'w') as f:
        json.dump(dict(seeds=args.seeds, rows=rows), f, indent=2)
    plot_sweeps([result['sweep'] for result in results],
                osp.join(results_dir, 'cifar10_lt_cpu_alpha_sweep.png'),
                f'CIFAR-10-LT r100, short budget, test split, {len(results)} seed(s)',
                {f'paper alpha = {ALPHA:g}': ALPHA})
    cfg = Config.fromfile(config('deconfound'))
    cfg.merge_from_dict(options)
    held_out = cfg.test_dataloader.dataset
    setup = dict(machine=f'{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()})',
                 minutes=(time.perf_counter() - start) / 60, load=(load, os.getloadavg()[0]),
                 classes=sorted(os.listdir(osp.join(DATA, 'train'))),
                 train_class_counts=results[0]['train_class_counts'],
                 ratio=held_out.imbalance_ratio, val=held_out.val_per_class,
                 test=held_out.held_out_per_class - held_out.val_per_class,
                 epochs=cfg.train_cfg.max_epochs)
    text = markdown(args.seeds, results, rows, throughput, setup)
    with open(osp.join(results_dir, 'cifar10_lt_cpu.md'), 'w') as f:
        f.write(text)
    print(text)
    print(f'wrote cifar10_lt_cpu.json, .md and _alpha_sweep.png into {results_dir}')


if __name__ == '__main__':
    main()
