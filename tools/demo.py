"""Demo: de-confounded training and TDE inference on a CPU.

    python tools/demo.py [--seed S] [--work-dir DIR]  # CIFAR-10-LT from data/cifar10, ~4 min
    python tools/demo.py --data DIR [--smoke]         # CIFAR-10-LT from a folder of images
    python tools/demo.py --digits                     # long-tailed digits, seconds, no download

CIFAR-10-LT (the default) shows the paper's effect: one seed of the short-budget protocol of
the CPU benchmark (``mmcausal.apis.protocol_scoring``) on a smaller budget, the demo configs of
``configs/cifar10_jpg_lt/`` (:data:`CIFAR10_CONFIG`: the paper's head, ResNet-8 for ResNet-32,
6 epochs of one-cycle for 8): it trains the linear and the de-confound model and prints, on the
test split, the linear model, its post-hoc logit adjustment (t = 1), the de-confound model and
its TDE (the paper's alpha = 1), and writes the alpha-sweep plot (paper Fig. 4). The images are
mmpretrain's ``CIFAR10`` under ``data/cifar10`` (downloaded there when the machine is online;
the ``cifar10-array`` configs) or, with ``--data DIR``, a folder of class folders of images,
e.g. the CIFAR-10 training JPEGs (the ``cifar10-jpg`` configs, their data root set to DIR).
A machine that can neither find nor download CIFAR-10 gets one line saying so and the digits
demo. ``--smoke`` runs 1 epoch on a tiny subset (80 images per class are enough): a check of
the pipeline, not a result.

Digits (``--digits``) shows the pipeline, not the effect: the configs of ``configs/digits_lt/``
train the linear and the de-confound model on a long-tailed subset of scikit-learn's digits and
test them, and the de-confound checkpoint by TDE, on balanced held-out images. With a handful
of images per few-shot class TDE lowers accuracy there.

Both print top-1 accuracy overall and on many-, medium- and few-shot classes; everything is
seeded.
"""
import argparse
import os.path as osp
import time
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR10

import mmcausal  # noqa: F401  (registers mmcausal's modules)
from mmcausal.apis import data_root_options, score_seed, tiny_run_options, train
from mmcausal.apis.arguments import parse_alphas
from mmcausal.datasets import wrapped_datasets
from mmcausal.evaluation import COLUMNS, groups_in_words
from mmcausal.visualization import plot_sweeps

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs')
DIGITS = 'resnet8_1xb32-30e_digits-lt-r100.py'
# The CIFAR-10-LT demo's configs, by row and source ('array': mmpretrain's CIFAR10, 'jpg': a
# folder of images).
CIFAR10_CONFIG = 'cifar10_jpg_lt/{row}_resnet8_1xb128-onecycle-6e_cifar10-{source}-lt-r100.py'
CIFAR10_ROOT = 'data/cifar10'  # the data_root of the 'array' configs
# The rows the CIFAR-10-LT demo prints, by their names in score_seed's results.
CIFAR10_ROWS = (('baseline (linear)', 'linear'), ('linear + logit adjustment (t=1)', 'linear-la'),
                ('de-confound (alpha=0)', 'deconfound'),
                ('de-confound-TDE (alpha=1)', 'deconfound-tde'))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument('--data', metavar='DIR',
                        help='CIFAR-10-LT from DIR, one folder of images per class (default: '
                        f"mmpretrain's CIFAR10 under {CIFAR10_ROOT}, downloaded when missing)")
    source.add_argument('--digits', action='store_true',
                        help='long-tailed digits instead: the pipeline in seconds, no download')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of initialization and data order (default: 0)')
    parser.add_argument('--smoke', action='store_true',
                        help='CIFAR-10-LT: 1 epoch on a tiny subset, to check the pipeline')
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='directory of the logs and checkpoints (default: work_dirs/demo)')
    args = parser.parse_args(argv)
    if args.smoke and args.digits:
        parser.error('argument --smoke: it shrinks the CIFAR-10-LT demo; --digits is small '
                     'already')
    if args.data is not None and not osp.isdir(args.data):
        parser.error(f'argument --data: {args.data} is no folder; give a folder with one folder '
                     'of images per class, e.g. data/cifar10-jpg/train')
    return args


def print_table(results: list, header: str) -> None:
    """``results``: (row name, metrics with ``long_tail/`` keys or plain group keys); ``-``
    for a group without tested classes."""
    print(header)
    width = max(len(name) for name, _ in results)
    print(f"{'model':{width}s}" + ''.join(f'{group:>9s}' for group in COLUMNS))
    for name, metrics in results:
        values = [metrics.get(group, metrics.get(f'long_tail/{group}')) for group in COLUMNS]
        print(f'{name:{width}s}' + ''.join(
            f'{"-":>9s}' if value is None else f'{value:9.1f}' for value in values))


def groups_header(thresholds: Tuple[int, int] = (100, 20)) -> str:
    """What the columns of :func:`print_table` are, with the groups' ``thresholds``
    ``(many_shot_thr, few_shot_thr)`` in words."""
    return (f"top-1 accuracy (%), a group's is the mean over its classes\n"
            f'groups by training images: {groups_in_words(thresholds)}\n')


def digits_runner(row: str, phase: str, work_dir: str, **cfg_options) -> Runner:
    """A quiet Runner of the digits ``row`` config (e.g. ``'linear'``) with ``cfg_options``."""
    cfg = Config.fromfile(osp.join(CONFIGS, 'digits_lt', f'{row}_{DIGITS}'))
    cfg.merge_from_dict(dict(work_dir=osp.join(work_dir, row), experiment_name=f'{row}-{phase}',
                             log_level='ERROR', **cfg_options))
    return Runner.from_cfg(cfg)


def digits(work_dir: str) -> None:
    # One thread: as fast for these tiny models, immune to other processes competing for the
    # cores, and the numbers do not depend on the core count.
    torch.set_num_threads(1)
    checkpoints = {}
    for row in ('linear', 'deconfound'):
        start = time.perf_counter()
        trainer = digits_runner(row, 'train', work_dir)
        trainer.train()
        print(f'trained {row:10s} in {time.perf_counter() - start:5.1f} s', flush=True)
        checkpoints[row] = osp.join(trainer.work_dir, f'epoch_{trainer.max_epochs}.pth')
    results = []
    for label, row, checkpoint in (
            ('baseline (linear)', 'linear', checkpoints['linear']),
            ('de-confound', 'deconfound', checkpoints['deconfound']),
            ('de-confound-TDE', 'deconfound-tde', checkpoints['deconfound'])):
        tester = digits_runner(row, 'test', work_dir, load_from=checkpoint)
        metrics = tester.test()
        alpha = tester.cfg.model.head.alpha
        results.append((label if row == 'linear' else f'{label} (alpha={alpha:g})', metrics))

    metric = tester.cfg.test_evaluator
    dataset = tester.test_dataloader.dataset
    counts = dataset.metainfo['train_class_counts']
    print(f"\nlong-tailed digits, the pipeline (not the paper's effect: with a handful of images "
          f'per few-shot class TDE lowers accuracy here): {sum(counts)} training images, per '
          f'class 0-9: {counts}')
    print_table(results, f'test: {len(dataset)} held-out images, balanced; ' +
                groups_header((metric['many_shot_thr'], metric['few_shot_thr'])))


def smoke_options(config: str) -> dict:
    """``--smoke``: :func:`~mmcausal.apis.tiny_run_options` (1 epoch on a tiny subset), whose
    ``LongTailedDataset`` keys are written for a ``DecodedImages`` around it (the ``jpg``
    configs), at the depth of the ``LongTailedDataset`` of each dataloader of ``config``."""
    cfg = Config.fromfile(config)
    options = {}
    for key, value in tiny_run_options().items():
        loader, _, argument = key.partition('.dataset.dataset.')
        if argument:
            types = [dataset.type for dataset in wrapped_datasets(cfg[loader].dataset)]
            depth = types.index('LongTailedDataset') + 1
            key = loader + '.dataset' * depth + f'.{argument}'
        options[key] = value
    return options


def cifar10_setup(data: Optional[str],
                  smoke: bool) -> Optional[Tuple[Dict[str, str], Dict[str, object]]]:
    """The linear and the de-confound config (:data:`CIFAR10_CONFIG`) and their
    ``cfg_options``: the ``jpg`` configs reading ``data`` (a folder of class folders) or, without
    it, the ``array`` configs of mmpretrain's CIFAR10 under :data:`CIFAR10_ROOT` (downloaded when
    missing); with ``smoke`` :func:`smoke_options`. None, after a line that says so, when
    CIFAR-10 can be neither found nor downloaded."""
    source = 'array' if data is None else 'jpg'
    configs = {row: osp.join(CONFIGS, CIFAR10_CONFIG.format(row=row, source=source))
               for row in ('linear', 'deconfound')}
    if data is not None:
        options = data_root_options(configs['deconfound'], data)
    else:
        try:
            CIFAR10(data_root=CIFAR10_ROOT, split='train', download=True)
        except Exception as error:  # no data and no download, for whatever reason: the digits
            print(f'CIFAR-10 is not under {CIFAR10_ROOT} and could not be downloaded '
                  f'({type(error).__name__}), so this runs the long-tailed digits demo instead '
                  "(the pipeline, not the paper's effect); for CIFAR-10-LT give --data DIR, a "
                  'folder of class folders of images')
            return None
        options = {}
    if smoke:
        options.update(smoke_options(configs['deconfound']))
    return configs, options


def cifar10(configs: Dict[str, str], options: dict, seed: int, work_dir: str,
            smoke: bool) -> None:
    start = time.perf_counter()
    checkpoints = {}
    for row, config in configs.items():
        checkpoints[row], _ = train(config, osp.join(work_dir, row), seed, options)
        print(f'trained {row} after {(time.perf_counter() - start) / 60:.1f} min', flush=True)
    result = score_seed((configs['linear'], checkpoints['linear']),
                        (configs['deconfound'], checkpoints['deconfound']), alpha=1.0,
                        alphas=parse_alphas('0:3:0.1'), ts=[1.0], cfg_options=options)
    plot = osp.join(work_dir, 'alpha_sweep.png')
    plot_sweeps([result['sweep']], plot, 'CIFAR-10-LT, TDE alpha sweep, test split',
                {'paper alpha = 1': 1.0})
    counts = result['train_class_counts']
    purpose = ('--smoke (a check of the pipeline, not a result; ' if smoke
               else "the paper's effect (")
    print(f'\nCIFAR-10-LT, {purpose}seed {seed}, {(time.perf_counter() - start) / 60:.1f} min): '
          f'{sum(counts)} training images, per class: {counts}')
    print_table([(name, result['rows'][row]) for name, row in CIFAR10_ROWS],
                'test: the balanced held-out test split; ' + groups_header())
    print(f'\nalpha sweep (paper Fig. 4): {plot}')


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    setup = None if args.digits else cifar10_setup(args.data, args.smoke)
    if setup is None:
        digits(args.work_dir)
    else:
        cifar10(*setup, args.seed, args.work_dir, args.smoke)


if __name__ == '__main__':
    main()
