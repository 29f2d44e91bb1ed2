"""Demo: de-confounded training and TDE inference on a CPU.

    python tools/demo.py [--work-dir work_dirs/demo]               # digits, seconds, no download
    python tools/demo.py --cifar10 [DIR] [--work-dir DIR] [--smoke]  # CIFAR-10-LT, ~15 minutes

Digits: with the configs of ``configs/digits_lt/`` it trains the baseline (linear classifier)
and the de-confounded model on a long-tailed subset of scikit-learn's digits, then tests, on
the balanced held-out images, the baseline, the de-confounded model (alpha=0) and the same
checkpoint with TDE inference (alpha of the de-confound-TDE config). It shows the pipeline.

CIFAR-10-LT (``--cifar10``): one seed of the short-budget protocol of
``benchmarks/cifar10_lt_cpu.sh`` with the configs of ``configs/cifar10_jpg_lt/`` (real CIFAR-10
images, ratio 100, 8 epochs of one-cycle), the rows linear, de-confound and de-confound-TDE
(the paper's alpha=1) on the test split, and the alpha-sweep plot (paper Fig. 4). It shows the
paper's effect. DIR is a folder of class folders of images, e.g. ``data/cifar10-jpg/train``
after ``mkdir -p data/cifar10-jpg && tar -xzf ../shared/data/cifar10-jpg/train.tar.gz -C
data/cifar10-jpg``; without DIR it reads mmpretrain's ``CIFAR10`` under ``data/cifar10``,
downloading it there if it can. ``--smoke`` runs the same on a tiny subset for 1 epoch (a check
of the pipeline, not a result).

Both print top-1 accuracy overall and on many-, medium- and few-shot classes; everything is
seeded.
"""
import argparse
import os.path as osp
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmcausal  # noqa: F401  (registers mmcausal's modules)
from mmcausal.apis import long_tailed_options, score_seed, tiny_run_options, train
from mmcausal.evaluation.alpha_sweep import parse_alphas, plot_sweeps

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs')
DIGITS = 'resnet8_1xb32-30e_digits-lt-r100.py'
CIFAR10 = 'resnet32_1xb128-onecycle-8e_cifar10-jpg-lt-r100.py'
CIFAR10_DEFAULT = 'data/cifar10'
GROUPS = ('many', 'medium', 'few', 'overall')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cifar10', nargs='?', const=CIFAR10_DEFAULT, metavar='DIR',
                        help='CIFAR-10-LT instead of digits: DIR holds one folder of images per '
                        "class; without DIR, mmpretrain's CIFAR10 under data/cifar10")
    parser.add_argument('--smoke', action='store_true',
                        help='with --cifar10: 1 epoch on a tiny subset, to check the pipeline')
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='directory of the logs and checkpoints (default: work_dirs/demo)')
    return parser.parse_args()


def print_table(results: list, header: str) -> None:
    """``results``: (row name, metrics with ``long_tail/`` keys or plain group keys); ``-``
    for a group without tested classes."""
    print(header)
    width = max(len(name) for name, _ in results)
    print(f"{'model':{width}s}" + ''.join(f'{group:>9s}' for group in GROUPS))
    for name, metrics in results:
        values = [metrics.get(group, metrics.get(f'long_tail/{group}')) for group in GROUPS]
        print(f'{name:{width}s}' + ''.join(
            f'{"-":>9s}' if value is None else f'{value:9.1f}' for value in values))


def digits_runner(row: str, phase: str, work_dir: str, **cfg_options) -> Runner:
    """A quiet Runner of the digits ``row`` config (e.g. ``'linear'``) with ``cfg_options``."""
    cfg = Config.fromfile(osp.join(CONFIGS, 'digits_lt', f'{row}_{DIGITS}'))
    cfg.merge_from_dict(dict(work_dir=osp.join(work_dir, row), experiment_name=f'{row}-{phase}',
                             log_level='ERROR', **cfg_options))
    return Runner.from_cfg(cfg)


def digits(work_dir: str) -> None:
    checkpoints = {}
    for row in ('linear', 'deconfound'):
        start = time.perf_counter()
        trainer = digits_runner(row, 'train', work_dir)
        trainer.train()
        print(f'trained {row:10s} in {time.perf_counter() - start:5.1f} s', flush=True)
        checkpoints[row] = osp.join(trainer.work_dir, f'epoch_{trainer.max_epochs}.pth')
    results = []
    for label, row, checkpoint in (('baseline (linear)', 'linear', checkpoints['linear']),
                                   ('de-confound', 'deconfound', checkpoints['deconfound']),
                                   ('de-confound-TDE', 'deconfound-tde', checkpoints['deconfound'])):
        tester = digits_runner(row, 'test', work_dir, load_from=checkpoint)
        metrics = tester.test()
        alpha = tester.cfg.model.head.alpha
        results.append((label if row == 'linear' else f'{label} (alpha={alpha:g})', metrics))

    metric = tester.cfg.test_evaluator
    dataset = tester.test_dataloader.dataset
    counts = dataset.metainfo['train_class_counts']
    print(f'\nlong-tailed digits: {sum(counts)} training images, per class 0-9: {counts}')
    print_table(results, f'test: {len(dataset)} held-out images, balanced; top-1 accuracy (%), '
                "a group's is the mean over its classes\ngroups by training images: many-shot > "
                f"{metric['many_shot_thr']}, medium-shot {metric['few_shot_thr']}.."
                f"{metric['many_shot_thr']}, few-shot < {metric['few_shot_thr']}\n")


def cifar10_options(source: str) -> dict:
    """``--cfg-options`` that read the images of ``source`` (see the module docstring)."""
    if source != CIFAR10_DEFAULT:
        if not osp.isdir(source):
            raise SystemExit(f'--cifar10 {source}: no such folder; give a folder with one '
                             'folder of images per class, e.g. data/cifar10-jpg/train')
        return long_tailed_options(data_root=source)
    from mmpretrain.datasets import CIFAR10
    try:
        CIFAR10(data_root=source, split='train', download=True)
    except Exception as error:  # any failure to find or download it gets the same advice
        raise SystemExit(
            f'--cifar10 without DIR reads mmpretrain\'s CIFAR10 under {source}, which is not '
            f'there and could not be downloaded ({type(error).__name__}: {error}). Either give '
            'a folder of class folders of images: mkdir -p data/cifar10-jpg && tar -xzf '
            '../shared/data/cifar10-jpg/train.tar.gz -C data/cifar10-jpg && python '
            'tools/demo.py --cifar10 data/cifar10-jpg/train; or run once on a machine with '
            f'internet access, which downloads CIFAR-10 into {source}.') from error
    print(f"reading mmpretrain's CIFAR10 (training split) under {source}")
    cfg = Config.fromfile(osp.join(CONFIGS, 'cifar10_jpg_lt', f'deconfound_{CIFAR10}'))
    options = {'data_preprocessor.to_rgb': False}  # CIFAR10 arrays are RGB already
    for loader, pipeline in (('train_dataloader', cfg.train_pipeline),
                             ('val_dataloader', cfg.test_pipeline),
                             ('test_dataloader', cfg.test_pipeline)):
        options[f'{loader}.dataset.dataset'] = dict(
            _delete_=True, type='CIFAR10', data_root=source, split='train', pipeline=pipeline)
    return options


def cifar10(source: str, work_dir: str, smoke: bool) -> None:
    options = dict(cifar10_options(source), **(tiny_run_options() if smoke else {}))
    configs = {row: osp.join(CONFIGS, 'cifar10_jpg_lt', f'{row}_{CIFAR10}')
               for row in ('linear', 'deconfound')}
    checkpoints = {}
    for row, config in configs.items():
        start = time.perf_counter()
        checkpoints[row], _ = train(config, osp.join(work_dir, row), 0, options)
        print(f'trained {row} in {(time.perf_counter() - start) / 60:.1f} min', flush=True)
    result = score_seed((configs['linear'], checkpoints['linear']),
                        (configs['deconfound'], checkpoints['deconfound']), alpha=1.0,
                        alphas=parse_alphas('0:3:0.1'), ts=[1.0], cfg_options=options)
    plot = osp.join(work_dir, 'alpha_sweep.png')
    plot_sweeps([result['sweep']], plot, 'CIFAR-10-LT, TDE alpha sweep, test split',
                {'paper alpha = 1': 1.0})
    counts = result['train_class_counts']
    rows = [('baseline (linear)', result['rows']['linear']),
            ('de-confound (alpha=0)', result['rows']['deconfound']),
            ('de-confound-TDE (alpha=1)', result['rows']['deconfound-tde'])]
    print(f'\nCIFAR-10-LT: {sum(counts)} training images, per class: {counts}')
    print_table(rows, 'test: the balanced held-out test split; top-1 accuracy (%), a group\'s is '
                'the mean over its classes\ngroups by training images: many-shot > 100, '
                'medium-shot 20..100, few-shot < 20\n')
    print(f'\nalpha sweep (paper Fig. 4): {plot}')


def main() -> None:
    args = parse_args()
    if args.smoke and args.cifar10 is None:
        raise SystemExit('--smoke shrinks the --cifar10 demo; the digits demo is small already')
    if args.cifar10 is None:
        # One thread: as fast for these tiny models, immune to other processes competing for
        # the cores, and the numbers do not depend on the core count.
        torch.set_num_threads(1)
        digits(args.work_dir)
    else:
        cifar10(args.cifar10, args.work_dir, args.smoke)


if __name__ == '__main__':
    main()
