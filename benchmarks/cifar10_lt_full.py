"""CIFAR-10-LT ratio 100 with the paper's schedule (Table 3), on a GPU or the CPU, resumable.

    bash benchmarks/cifar10_lt_full.sh [--data DIR] [--precision fp32|bf16] [--work-dir DIR]
        [--out DIR] [--smoke]

It trains ``linear_`` and ``deconfound_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py`` of
``configs/cifar10_jpg_lt/`` with the authors' schedule unchanged (SGD lr 0.2, batch 256, warm-up,
lr x 0.01 at epochs 120 and 160, 200 epochs), seed 0, on ``--data``, a folder of the CIFAR-10
training images in class folders (val and test are held out of it: the official test split is
not needed). Then it scores every row of :mod:`mmcausal.apis.protocol_scoring` (alpha and
logit adjustment's t chosen on val, reported on test) and the alpha sweep of Fig. 4.

Resumable: the same command continues each model from its last checkpoint (one every 10
epochs, mmengine's resume), rebuilding the decoded images, and scores only when both models
have reached their last epoch; it prints the epochs done and an ETA. The settings that change
results (data, precision, epochs, seed) are recorded in the work directory, and a rerun with
other settings is refused.

What changes against ``tools/train.py CONFIG`` is speed only: validation and checkpoints every
10 epochs, ``--precision bf16`` (bf16 autocast: :class:`~mmcausal.engine.CPUAmpOptimWrapper`
on the CPU, mmengine's ``AmpOptimWrapper`` on a GPU), dataloader workers from the CPU count that
stack each batch (``default_collate``: a GPU would otherwise wait for the main process to stack
256 tensors per iteration).

Into ``--out`` (default ``benchmarks/results``) it writes ``cifar10_lt_full.json`` (rows as in
the CPU benchmark's JSON, ``epochs``, per-class top-1, the alpha sweeps, throughput),
``cifar10_lt_full.md``, ``cifar10_lt_full_alpha_sweep.png``, and per model its weights-only
checkpoint ``{row}_..._epoch_200-{sha256[:8]}.pth`` and training log ``{row}_....log``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
import sys
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from long_tail_report import PAPER, data_line, results_table  # noqa: E402

from mmcausal.apis import (PRECISIONS, class_accuracy_table, data_root_options,  # noqa: E402
                           precision_options, publish_checkpoint, score_seed, summarize,
                           tiny_data_options, train)
from mmcausal.evaluation.alpha_sweep import parse_alphas, plot_sweeps  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'cifar10_jpg_lt')
SUFFIX = 'resnet32_1xb256-200e_cifar10-jpg-lt-r100'
TRAINED = ('deconfound', 'linear')  # the paper's row first: its result is what the run is for
SWEEP = '0:3:0.1'  # alphas of the sweep and of the choice on val; the t of logit adjustment
CHECKPOINT_INTERVAL = 10  # epochs between checkpoints and validations


def config(row: str) -> str:
    """The config of ``row`` (``linear``, ``deconfound``, ``deconfound-tde``)."""
    return osp.join(CONFIGS, f'{row}_{SUFFIX}.py')


def run_options(data: str, precision: str, workers: int, smoke: bool) -> dict:
    """``cfg_options`` of the training runs: the data folder and the speed settings of the
    module docstring (``smoke``: 1 epoch on :func:`tiny_data_options`' subset)."""
    options = dict(data_root_options(config('deconfound'), data), **precision_options(precision))
    if smoke:
        options.update(tiny_data_options(), **{'train_cfg.max_epochs': 1})
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


def epochs_done(work_dir: str) -> int:
    """The epoch of the last checkpoint in ``work_dir`` (mmengine's ``last_checkpoint``), 0
    before the first."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return 0
    with open(pointer) as f:
        name = osp.basename(f.read().strip())
    return int(name[len('epoch_'):-len('.pth')])


def logged_iterations(work_dir: str) -> List[dict]:
    """The training entries (``time``, ``data_time`` per iteration) of every run's log."""
    entries = []
    for scalars in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(scalars) as f:
            entries += [entry for entry in map(json.loads, f) if 'lr' in entry]
    return entries


def check_settings(work_dir: str, settings: dict) -> None:
    """Record ``settings`` in ``work_dir``, or refuse a rerun with other settings."""
    path = osp.join(work_dir, 'settings.json')
    if osp.isfile(path):
        with open(path) as f:
            recorded = json.load(f)
        if recorded != settings:
            raise SystemExit(f'{work_dir} holds a run with other settings ({recorded}, now '
                             f'{settings}): rerun with the same arguments to resume, or pass '
                             'another --work-dir')
    else:
        os.makedirs(work_dir, exist_ok=True)
        with open(path, 'w') as f:
            json.dump(settings, f, indent=2)


def progress(work_dir: str, max_epochs: int) -> str:
    """Epochs done per model and the ETA at the logged median time per iteration."""
    lines, remaining = [], 0.0
    for row in TRAINED:
        done = epochs_done(osp.join(work_dir, row))
        entries = logged_iterations(osp.join(work_dir, row))
        lines.append(f'{row} {done}/{max_epochs} epochs')
        if entries:
            iterations_per_epoch = max(entry['iter'] for entry in entries) / max(1, max(
                entry['epoch'] for entry in entries))
            remaining += (max_epochs - done) * iterations_per_epoch * float(
                np.median([entry['time'] for entry in entries]))
    eta = f'ETA {remaining / 3600:.1f} h' if remaining else 'ETA after the first logged iterations'
    return ', '.join(lines) + f'; {eta} (one model at a time)'


def throughput(work_dir: str, batch: int) -> dict:
    """Images/s, median seconds and data wait per iteration, and training hours (the
    iterations times the median seconds per iteration: pauses, other jobs on the cores,
    checkpoints, validation and the epochs an interruption repeats are not counted), from the
    logs of every run in ``work_dir``."""
    entries = logged_iterations(work_dir)
    seconds = float(np.median([entry['time'] for entry in entries]))
    data = float(np.median([entry['data_time'] for entry in entries]))
    hours = max(entry['iter'] for entry in entries) * seconds / 3600
    return dict(images_per_s=batch / seconds, time=seconds, data_time=data, hours=hours)


def markdown(result: dict, setup: dict, rows: Dict[str, dict]) -> str:
    counts = result['train_class_counts']
    lines = [
        '# CIFAR-10-LT ratio 100, the paper\'s 200-epoch schedule (benchmarks/cifar10_lt_full.sh)',
        '', f"{setup['device']}; torch {setup['torch']}; {setup['precision']}; "
        f"{setup['hours']:.1f} h of training in all.", '',
        f"Schedule: {setup['epochs']} epochs, SGD lr 0.2, batch 256, momentum 0.9, weight decay "
        '5e-4, linear warm-up, lr x 0.01 at epochs 120 and 160; seed 0.', '',
        data_line(counts, setup['val'], setup['test'], 'held-out training images'), '',
        *results_table(rows, paper=PAPER),
        '', 'Per-class top-1 on test (training images per class in parentheses):', '',
        *class_accuracy_table(result['class_accuracy'], setup['classes'], counts),
        '', '| training | images/s | s per iteration (median) | waiting for data | hours |',
        '| --- | ---: | ---: | ---: | ---: |']
    lines += [f"| {row} | {job['images_per_s']:.0f} | {job['time']:.3f} | "
              f"{100 * job['data_time'] / job['time']:.0f} % | {job['hours']:.2f} |"
              for row, job in setup['training'].items()]
    return '\n'.join(lines) + '\n'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default=osp.join('data', 'cifar10-jpg', 'train'),
                        help='folder of the CIFAR-10 training images, one folder per class '
                        '(default: data/cifar10-jpg/train)')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp32',
                        help='bf16: autocast training (default: fp32)')
    parser.add_argument('--work-dir', help='checkpoints and logs; rerun with the same one to '
                        'resume (default: work_dirs/cifar10_lt_full[_smoke])')
    parser.add_argument('--out', help='results (default: benchmarks/results; smoke: the work '
                        'directory)')
    parser.add_argument('--smoke', action='store_true',
                        help='end-to-end check in minutes: 1 epoch on a tiny subset')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not osp.isdir(args.data):
        raise SystemExit(f'--data {args.data}: no such folder; pass the folder of the CIFAR-10 '
                         'training images, one folder per class')
    work_dir = args.work_dir or osp.join('work_dirs', 'cifar10_lt_full' + '_smoke' * args.smoke)
    out = args.out or (work_dir if args.smoke else osp.join(ROOT, 'benchmarks', 'results'))
    workers = max(1, (os.cpu_count() or 1) - 1)
    options = run_options(osp.abspath(args.data), args.precision, workers, args.smoke)
    max_epochs = 1 if args.smoke else Config.fromfile(config('deconfound')).train_cfg.max_epochs
    check_settings(work_dir, dict(data=osp.abspath(args.data), precision=args.precision,
                                  epochs=max_epochs, smoke=args.smoke))
    print(progress(work_dir, max_epochs), flush=True)
    checkpoints = {}
    for row in TRAINED:
        checkpoints[row], _ = train(config(row), osp.join(work_dir, row), seed=0,
                                    cfg_options=options)
        print(progress(work_dir, max_epochs), flush=True)

    alpha = Config.fromfile(config('deconfound-tde')).model.head.alpha
    data_options = {key: value for key, value in options.items() if 'dataset' in key}
    result = score_seed((config('linear'), checkpoints['linear']),
                        (config('deconfound'), checkpoints['deconfound']), alpha,
                        alphas=parse_alphas(SWEEP), ts=parse_alphas(SWEEP),
                        cfg_options=data_options)
    cfg = Config.fromfile(config('deconfound'))
    cfg.merge_from_dict(data_options)
    held_out = cfg.test_dataloader.dataset.dataset
    setup = dict(
        device=torch.cuda.get_device_name() if torch.cuda.is_available() else
        f'{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()})',
        torch=torch.__version__, precision=args.precision, epochs=max_epochs,
        classes=sorted(os.listdir(args.data)), val=held_out.val_per_class,
        test=held_out.held_out_per_class - held_out.val_per_class,
        training={row: throughput(osp.join(work_dir, row), cfg.train_dataloader.batch_size)
                  for row in TRAINED})
    setup['hours'] = sum(job['hours'] for job in setup['training'].values())
    rows = summarize([result])
    os.makedirs(out, exist_ok=True)
    plot_sweeps([result['sweep']], osp.join(out, 'cifar10_lt_full_alpha_sweep.png'),
                f'CIFAR-10-LT r100, {max_epochs} epochs, held-out test split',
                {f'paper alpha = {alpha:g}': alpha})
    with open(osp.join(out, 'cifar10_lt_full.json'), 'w') as f:
        json.dump(dict(epochs=max_epochs, rows=rows, class_accuracy=result['class_accuracy'],
                       sweep=result['sweep'], val=result['val'],
                       train_class_counts=result['train_class_counts'], setup=setup), f, indent=2)
    text = markdown(result, setup, rows)
    with open(osp.join(out, 'cifar10_lt_full.md'), 'w') as f:
        f.write(text)
    for row in TRAINED:
        name = f'{row}_{SUFFIX}_epoch_{max_epochs}'
        publish_checkpoint(checkpoints[row], osp.join(out, name))
        logs = sorted(glob.glob(osp.join(work_dir, row, '*', '*.log')))
        with open(osp.join(out, f'{row}_{SUFFIX}.log'), 'w') as f:
            f.writelines(open(log).read() for log in logs)
    print(text)
    print(f'wrote cifar10_lt_full.json, .md, _alpha_sweep.png, the checkpoints and logs into {out}')


if __name__ == '__main__':
    main()
