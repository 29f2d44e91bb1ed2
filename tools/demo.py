"""Demo: de-confounded training and TDE inference on long-tailed digits, on a CPU, no download.

    python tools/demo.py [--work-dir work_dirs/demo]

With the configs of ``configs/digits_lt/`` and mmengine's Runner it trains the baseline (linear
classifier) and the de-confounded model on a long-tailed subset of scikit-learn's digits, then
tests, on the balanced held-out images, the baseline, the de-confounded model (alpha=0) and the
same checkpoint with TDE inference (alpha of the de-confound-TDE config), and prints top-1
accuracy overall and on many-, medium- and few-shot classes. Everything is seeded.
"""
import argparse
import os.path as osp
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmcausal  # noqa: F401  (registers mmcausal's modules)

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'digits_lt')
SUFFIX = 'resnet8_1xb32-30e_digits-lt-r100.py'
GROUPS = ('many', 'medium', 'few', 'overall')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='directory of the logs and checkpoints (default: work_dirs/demo)')
    return parser.parse_args()


def runner(row: str, phase: str, work_dir: str, **cfg_options) -> Runner:
    """A quiet Runner of the ``row`` config (e.g. ``'linear'``) with ``cfg_options`` merged."""
    cfg = Config.fromfile(osp.join(CONFIGS, f'{row}_{SUFFIX}'))
    cfg.merge_from_dict(dict(work_dir=osp.join(work_dir, row), experiment_name=f'{row}-{phase}',
                             log_level='ERROR', **cfg_options))
    return Runner.from_cfg(cfg)


def train(row: str, work_dir: str) -> str:
    """Train the ``row`` config; returns its last checkpoint."""
    start = time.perf_counter()
    trainer = runner(row, 'train', work_dir)
    trainer.train()
    print(f'trained {row:10s} in {time.perf_counter() - start:5.1f} s', flush=True)
    return osp.join(trainer.work_dir, f'epoch_{trainer.max_epochs}.pth')


def main() -> None:
    args = parse_args()
    # One thread: as fast for these tiny models, immune to other processes competing for the
    # cores, and the numbers do not depend on the core count.
    torch.set_num_threads(1)
    checkpoints = {row: train(row, args.work_dir) for row in ('linear', 'deconfound')}
    rows = [('baseline (linear)', 'linear', checkpoints['linear']),
            ('de-confound', 'deconfound', checkpoints['deconfound']),
            ('de-confound-TDE', 'deconfound-tde', checkpoints['deconfound'])]
    results = []
    for label, row, checkpoint in rows:
        tester = runner(row, 'test', args.work_dir, load_from=checkpoint)
        metrics = tester.test()
        alpha = tester.cfg.model.head.alpha
        results.append((label if row == 'linear' else f'{label} (alpha={alpha:g})', metrics))

    metric = tester.cfg.test_evaluator
    dataset = tester.test_dataloader.dataset
    counts = dataset.metainfo['train_class_counts']
    print(f'\nlong-tailed digits: {sum(counts)} training images, per class 0-9: {counts}')
    print(f'test: {len(dataset)} held-out images, balanced; top-1 accuracy (%), a group\'s is '
          'the mean over its classes')
    print(f"groups by training images: many-shot > {metric['many_shot_thr']}, medium-shot "
          f"{metric['few_shot_thr']}..{metric['many_shot_thr']}, few-shot < "
          f"{metric['few_shot_thr']}\n")
    width = max(len(name) for name, _ in results)
    print(f"{'model':{width}s}" + ''.join(f'{group:>9s}' for group in GROUPS))
    for name, metrics in results:
        print(f'{name:{width}s}' + ''.join(
            f"{metrics.get(f'long_tail/{group}', float('nan')):9.1f}" for group in GROUPS))


if __name__ == '__main__':
    main()
