"""CIFAR-10-LT ratio 100 with the paper's schedule (Table 3), on a GPU or the CPU, resumable.

    bash benchmarks/cifar10_lt_full.sh [--setting paper|jpg] [--data DIR] [--seeds S ...]
        [--precision fp32|bf16] [--work-dir DIR] [--out DIR] [--smoke]

It trains the ``linear_`` and ``deconfound_`` configs of a setting with the authors' schedule
unchanged (SGD lr 0.2, batch 256, warm-up, lr x 0.01 at epochs 120 and 160, 200 epochs), one
pair per seed:

``--setting paper`` (the default)
    ``configs/cifar_lt/*_resnet32_1xb256-200e_cifar10-lt-r100.py``, the paper's own setting: the
    profile 5,000, 2,997, ..., 50 (12,406 images) of CIFAR-10's training split, val from the
    training images the draw leaves (none of the head class), the official test split. ``--data
    DIR``: CIFAR-10 as image folders, ``DIR/train/<class>/*`` and ``DIR/test/<class>/*``
    (lossless files, e.g. PNG: :func:`~mmcausal.apis.image_folder_options`); without it,
    mmpretrain's ``CIFAR10`` under ``data/cifar10`` (downloaded when missing).
``--setting jpg``
    ``configs/cifar10_jpg_lt/``: ``--data`` is a folder of CIFAR-10 training images in class
    folders (default ``data/cifar10-jpg/train``); val and test are held out of it (4,500 ... 45
    train), so no official test split is needed.

Then it scores every row of :mod:`mmcausal.apis.protocol_scoring` (alpha and logit adjustment's
t chosen on val, reported on test) and the alpha sweep of Fig. 4.

Resumable: the same command continues each model from its last checkpoint (one every 10
epochs, mmengine's resume), rebuilding the decoded images, and scores only when every model has
reached its last epoch; it prints the epochs done and an ETA. The settings that change results
(setting, data, precision, epochs) are recorded in the work directory, and a rerun with other
settings is refused; more ``--seeds`` may be added to a run.

What changes against ``tools/train.py CONFIG`` is speed only: validation and checkpoints every
10 epochs, ``--precision bf16`` (bf16 autocast: :class:`~mmcausal.engine.CPUAmpOptimWrapper`
on the CPU, mmengine's ``AmpOptimWrapper`` on a GPU), dataloader workers from the CPU count that
stack each batch (``default_collate``: a GPU would otherwise wait for the main process to stack
256 tensors per iteration).

Into ``--out`` (default ``benchmarks/results``) it writes ``{name}.json`` (rows as in the CPU
benchmark's JSON, lists over seeds, ``epochs``, ``test``, per-class top-1, the alpha sweeps,
throughput), ``{name}.md``, ``{name}_alpha_sweep.png`` with ``name`` ``cifar10_lt_r100_paper``
or ``cifar10_lt_full`` (jpg), and per model of seed 0 its weights-only checkpoint
``{row}_..._epoch_200-{sha256[:8]}.pth`` and training log ``{row}_....log``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.datasets.categories import CIFAR10_CATEGORIES

from mmcausal.apis import (PRECISIONS, class_accuracy_table, data_root_options,
                           image_folder_options, precision_options, publish_checkpoint, publish_log,
                           score_seed, summarize, tiny_data_options, train)
from mmcausal.apis.arguments import parse_alphas
from mmcausal.apis.long_runs import check_settings, epochs_done, logged_iterations, throughput
from mmcausal.apis.report import PAPER, data_line, results_table
from mmcausal.datasets import train_set_counts, wrapped_datasets
from mmcausal.visualization import plot_sweeps

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# setting -> (config folder, config name suffix, results name, what the test split is)
SETTINGS = {
    'paper': ('cifar_lt', 'resnet32_1xb256-200e_cifar10-lt-r100', 'cifar10_lt_r100_paper',
              'official'),
    'jpg': ('cifar10_jpg_lt', 'resnet32_1xb256-200e_cifar10-jpg-lt-r100', 'cifar10_lt_full',
            'held-out'),
}
TRAINED = ('deconfound', 'linear')  # the paper's row first: its result is what the run is for
SWEEP = '0:3:0.1'  # alphas of the sweep and of the choice on val; the t of logit adjustment
CHECKPOINT_INTERVAL = 10  # epochs between checkpoints and validations


def config(setting: str, row: str) -> str:
    """The config of ``row`` (``linear``, ``deconfound``, ``deconfound-tde``) of ``setting``."""
    folder, suffix, _, _ = SETTINGS[setting]
    return osp.join(ROOT, 'configs', folder, f'{row}_{suffix}.py')


def data_options(setting: str, data: Optional[str], smoke: bool) -> dict:
    """``cfg_options`` of the data of every loader: ``data`` as the setting reads it (module
    docstring), and with ``smoke`` a tiny long-tailed subset (ratio 10, 30 head images)."""
    if setting == 'jpg':
        return dict(data_root_options(config(setting, 'deconfound'), data),
                    **(tiny_data_options() if smoke else {}))
    options = image_folder_options(config(setting, 'deconfound'), data) if data else {}
    if smoke:
        for loader in ('train_dataloader', 'val_dataloader'):
            key = f'{loader}.dataset' + '.dataset' * bool(data)
            options.update({f'{key}.imbalance_ratio': 10, f'{key}.max_per_class': 30})
        options['val_dataloader.dataset' + '.dataset' * bool(data) + '.left_out_per_class'] = 10
    return options


def run_options(setting: str, data: Optional[str], precision: str, workers: int,
                smoke: bool) -> dict:
    """``cfg_options`` of the training runs: :func:`data_options` and the speed settings of
    the module docstring (``smoke``: 1 epoch)."""
    options = dict(data_options(setting, data, smoke), **precision_options(precision))
    if smoke:
        options['train_cfg.max_epochs'] = 1
    options.update({
        'resume': True,
        'default_hooks.checkpoint': dict(interval=CHECKPOINT_INTERVAL, max_keep_ckpts=2),
        'default_hooks.logger.interval': 1 if smoke else 10,
        'train_dataloader.num_workers': workers,
        'train_dataloader.collate_fn': dict(type='default_collate'),  # stacked in the workers
        'train_dataloader.pin_memory': torch.cuda.is_available(),
        'env_cfg.cudnn_benchmark': torch.cuda.is_available()})
    options['train_cfg.val_interval'] = 1 if smoke else CHECKPOINT_INTERVAL
    return options


def model_dirs(work_dir: str, seeds: Sequence[int]) -> Dict[str, str]:
    """The work directory of each model, ``'seed{S}/{row}'`` -> folder, in training order."""
    return {f'seed{seed}/{row}': osp.join(work_dir, f'seed{seed}', row)
            for seed in seeds for row in TRAINED}


def progress(work_dir: str, seeds: Sequence[int], max_epochs: int) -> str:
    """Epochs done per model and the ETA at the logged median time per iteration."""
    lines, remaining = [], 0.0
    for name, folder in model_dirs(work_dir, seeds).items():
        done = epochs_done(folder)
        entries = logged_iterations(folder)
        lines.append(f'{name} {done}/{max_epochs} epochs')
        if entries:
            iterations_per_epoch = max(entry['iter'] for entry in entries) / max(1, max(
                entry['epoch'] for entry in entries))
            remaining += (max_epochs - done) * iterations_per_epoch * float(
                np.median([entry['time'] for entry in entries]))
    eta = f'ETA {remaining / 3600:.1f} h' if remaining else 'ETA after the first logged iterations'
    return ', '.join(lines) + f'; {eta} (one model at a time)'


def markdown(result: dict, setup: dict, rows: Dict[str, dict]) -> str:
    counts = result['train_class_counts']
    lines = [
        f"# CIFAR-10-LT ratio 100, the paper's 200-epoch schedule "
        f"(benchmarks/cifar10_lt_full.sh --setting {setup['setting']})",
        '', f"{setup['device']}; torch {setup['torch']}; {setup['precision']}; "
        f"{setup['hours']:.1f} h of training in all.", '',
        f"Schedule: {setup['epochs']} epochs, SGD lr 0.2, batch 256, momentum 0.9, weight decay "
        f"5e-4, linear warm-up, lr x 0.01 at epochs 120 and 160; seeds {setup['seeds']}.", '',
        data_line(counts, setup['val'], setup['test'], setup['images']), '',
        *results_table(rows, paper=PAPER),
        '', 'Per-class top-1 on test, seed 0 (training images per class in parentheses):', '',
        *class_accuracy_table(result['class_accuracy'], setup['classes'], counts),
        '', '| training | images/s | s per iteration (median) | waiting for data | hours |',
        '| --- | ---: | ---: | ---: | ---: |']
    lines += [f"| {name} | {job['images_per_s']:.0f} | {job['time']:.3f} | "
              f"{100 * job['data_time'] / job['time']:.0f} % | {job['hours']:.2f} |"
              for name, job in setup['training'].items()]
    return '\n'.join(lines) + '\n'


def splits(setting: str, options: dict) -> dict:
    """What the val and test splits hold, in words, for :func:`data_line`."""
    cfg = Config.fromfile(config(setting, 'deconfound'))
    cfg.merge_from_dict(options)
    val = next(dataset for dataset in wrapped_datasets(cfg.val_dataloader.dataset)
               if dataset.type == 'LongTailedDataset')
    if setting == 'jpg':
        return dict(val=val.val_per_class, test=f'{val.held_out_per_class - val.val_per_class} '
                    'held-out training images per class', images='held-out training images')
    init_default_scope(cfg.default_scope)
    test_counts, _ = train_set_counts(cfg.test_dataloader)  # labels only, no image is decoded
    per_class = (f'{test_counts[0]:,} per class' if len(set(test_counts)) == 1 else
                 f'{min(test_counts):,} to {max(test_counts):,} per class')
    official = test_counts == [1000] * len(CIFAR10_CATEGORIES)
    return dict(val=f'up to {val.left_out_per_class}',
                test=f'the official test split ({per_class})' if official else
                f'the test/ folder of --data ({per_class})',
                images='of the training images the draw leaves (none of the head class)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--setting', choices=tuple(SETTINGS), default='paper',
                        help="paper: configs/cifar_lt, the official test split (default); jpg: "
                        'configs/cifar10_jpg_lt, val and test held out of the training images')
    parser.add_argument('--data', help='paper: a folder with train/ and test/, one folder per '
                        "class in each (default: mmpretrain's CIFAR10 in data/cifar10); jpg: "
                        'the CIFAR-10 training images, one folder per class (default: '
                        'data/cifar10-jpg/train)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='seeds, one linear and one de-confound model each (default: 0)')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp32',
                        help='bf16: autocast training (default: fp32)')
    parser.add_argument('--work-dir', help='checkpoints and logs; rerun with the same one to '
                        'resume (default: work_dirs/cifar10_lt_full_SETTING[_smoke])')
    parser.add_argument('--out', help='results (default: benchmarks/results; smoke: the work '
                        'directory)')
    parser.add_argument('--smoke', action='store_true',
                        help='end-to-end check in minutes: 1 epoch on a tiny subset')
    args = parser.parse_args()
    if args.setting == 'jpg' and args.data is None:
        args.data = osp.join('data', 'cifar10-jpg', 'train')
    if args.data is not None:
        fix = ('pass the folder holding train/ and test/, one folder per class in each'
               if args.setting == 'paper' else
               'pass the folder of the CIFAR-10 training images, one folder per class')
        if not osp.isdir(args.data):
            parser.error(f'--data {args.data}: no such folder; {fix}')
        missing = [name for name in ('train', 'test')
                   if args.setting == 'paper' and not osp.isdir(osp.join(args.data, name))]
        if missing:
            parser.error(f'--data {args.data}: no {" or ".join(missing)}/ in it; {fix}')
        args.data = osp.abspath(args.data)
    return args


def main() -> None:
    args = parse_args()
    name = SETTINGS[args.setting][2]
    work_dir = args.work_dir or osp.join(
        'work_dirs', f'cifar10_lt_full_{args.setting}' + '_smoke' * args.smoke)
    out = args.out or (work_dir if args.smoke else osp.join(ROOT, 'benchmarks', 'results'))
    workers = max(1, (os.cpu_count() or 1) - 1)
    options = run_options(args.setting, args.data, args.precision, workers, args.smoke)
    max_epochs = 1 if args.smoke else Config.fromfile(
        config(args.setting, 'deconfound')).train_cfg.max_epochs
    check_settings(work_dir, dict(setting=args.setting, data=args.data, precision=args.precision,
                                  epochs=max_epochs, smoke=args.smoke))
    print(progress(work_dir, args.seeds, max_epochs), flush=True)
    checkpoints = {}
    for model, folder in model_dirs(work_dir, args.seeds).items():
        seed = int(model.split('/')[0][len('seed'):])
        checkpoints[model], _ = train(config(args.setting, model.split('/')[1]), folder,
                                      seed=seed, cfg_options=options)
        print(progress(work_dir, args.seeds, max_epochs), flush=True)

    alpha = Config.fromfile(config(args.setting, 'deconfound-tde')).model.head.alpha
    scoring = data_options(args.setting, args.data, args.smoke)
    results = [score_seed((config(args.setting, 'linear'), checkpoints[f'seed{seed}/linear']),
                          (config(args.setting, 'deconfound'),
                           checkpoints[f'seed{seed}/deconfound']), alpha,
                          alphas=parse_alphas(SWEEP), ts=parse_alphas(SWEEP),
                          cfg_options=scoring)
               for seed in args.seeds]
    cfg = Config.fromfile(config(args.setting, 'deconfound'))
    setup = dict(
        setting=args.setting,
        device=torch.cuda.get_device_name() if torch.cuda.is_available() else
        f'{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()})',
        torch=torch.__version__, precision=args.precision, epochs=max_epochs, seeds=args.seeds,
        classes=list(CIFAR10_CATEGORIES),
        training={model: throughput(folder, cfg.train_dataloader.batch_size)
                  for model, folder in model_dirs(work_dir, args.seeds).items()},
        **splits(args.setting, scoring))
    setup['hours'] = sum(job['hours'] for job in setup['training'].values())
    rows = summarize(results)
    os.makedirs(out, exist_ok=True)
    plot_sweeps([result['sweep'] for result in results], osp.join(out, f'{name}_alpha_sweep.png'),
                f'CIFAR-10-LT r100, {max_epochs} epochs, {SETTINGS[args.setting][3]} test split',
                {f'paper alpha = {alpha:g}': alpha})
    first = results[0]
    with open(osp.join(out, f'{name}.json'), 'w') as f:
        json.dump(dict(epochs=max_epochs, test=SETTINGS[args.setting][3], rows=rows,
                       class_accuracy=first['class_accuracy'],
                       sweep=[result['sweep'] for result in results],
                       val=[result['val'] for result in results],
                       train_class_counts=first['train_class_counts'], setup=setup), f, indent=2)
    text = markdown(first, setup, rows)
    with open(osp.join(out, f'{name}.md'), 'w') as f:
        f.write(text)
    suffix = SETTINGS[args.setting][1]
    for row in TRAINED:
        folder = model_dirs(work_dir, args.seeds[:1])[f'seed{args.seeds[0]}/{row}']
        publish_checkpoint(checkpoints[f'seed{args.seeds[0]}/{row}'],
                           osp.join(out, f'{row}_{suffix}_epoch_{max_epochs}'))
        publish_log(sorted(glob.glob(osp.join(folder, '*', '*.log'))),
                    osp.join(out, f'{row}_{suffix}.log'))
    print(text)
    print(f'wrote {name}.json, .md, _alpha_sweep.png, the checkpoints and logs into {out}')


if __name__ == '__main__':
    main()
