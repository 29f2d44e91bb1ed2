"""Time of the in-memory alpha sweep against one ``tools/test.py`` run per alpha.

Both paths score the same checkpoint on the same split for the same alphas (``--alphas``,
default the 50 of 0, 0.1, ..., 4.9) and run in this one process (imports and interpreter start-up
excluded, which the 50 separate ``python tools/test.py`` commands of a real sweep would pay 50
times over):

- sweep: what ``tools/analysis/sweep_alpha.py`` does before writing its JSON and plot,
  ``mmcausal.apis.sweep_checkpoint``: build the model and load the checkpoint
  (``load_for_analysis``), forward the split once to the head's features (``head_features``),
  compute the two TDE terms ``z, c`` (``logit_terms``) and score every alpha in memory with the
  split's LongTailAccuracy (``sweep_alphas``);
- test runs: for every alpha, the config as ``tools/test.py CONFIG CKPT --cfg-options
  model.head.alpha=ALPHA`` builds it (``load_from``, ``work_dir``, the options merged last),
  then ``Runner.from_cfg(cfg).test()`` (model build, checkpoint load, dataloader, forward,
  metric), with ``log_level=WARNING`` to keep the console readable.

After an untimed warm-up of both paths, the sweep is timed three times, before, between and after
the two halves of the 50 test runs; printed: the median sweep time, the total time of the 50
test runs, their ratio, and the largest difference between the two paths' accuracies
over all alphas and groups (they must agree: the sweep claims the numbers of ``tools/test.py``).

Default data and model: the demo's long-tailed scikit-learn digits (real 8x8 images, the 500
held-out test images of ``configs/digits_lt``) and its CIFAR ResNet-8 de-confound model, trained
here for ``--train-epochs`` epochs into a temporary directory (a few seconds). Any config and
checkpoint with a ``TDEClsHead`` and a LongTailAccuracy split can be timed instead:

    python benchmarks/sweep_speed.py [--train-epochs 5] [--alphas 0:4.9:0.1]
    python benchmarks/sweep_speed.py --config CONFIG --checkpoint CKPT [--split test]
"""
import argparse
import glob
import os.path as osp
import statistics
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmcausal  # noqa: F401  (registers the head, the datasets and the metric)
from mmcausal.apis import sweep_checkpoint
from mmcausal.apis.arguments import parse_alphas
from mmcausal.evaluation import COLUMNS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# The demo's de-confound row (the only deconfound_* config of configs/digits_lt/).
DIGITS_CONFIG, = glob.glob(osp.join(ROOT, 'configs', 'digits_lt', 'deconfound_*.py'))


def train_digits(work_dir: str, epochs: int) -> str:
    """Train the demo's de-confound digits model for ``epochs``; its last checkpoint."""
    cfg = Config.fromfile(DIGITS_CONFIG)
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    cfg.train_cfg.max_epochs = epochs
    Runner.from_cfg(cfg).train()
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def test_runs(config: str, checkpoint: str, split: str, alphas: list, work_dir: str) -> list:
    """One tools/test.py-style run per alpha; the LongTailAccuracy of each."""
    results = []
    for alpha in alphas:
        cfg = Config.fromfile(config)
        cfg.work_dir, cfg.load_from = work_dir, checkpoint
        cfg.merge_from_dict({'model.head.alpha': alpha, 'log_level': 'WARNING'})
        if split == 'val':  # score the split the sweep scores
            cfg.test_dataloader, cfg.test_evaluator = cfg.val_dataloader, cfg.val_evaluator
        metrics = Runner.from_cfg(cfg).test()
        results.append(dict(alpha=alpha, **{key.split('/')[-1]: value
                                            for key, value in metrics.items()
                                            if key.startswith('long_tail/')}))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', help='config with a TDEClsHead (default: the digits demo)')
    parser.add_argument('--checkpoint', help='its checkpoint (default: trained here)')
    parser.add_argument('--split', choices=('val', 'test'), default='test')
    parser.add_argument('--train-epochs', type=int, default=5,
                        help='epochs of the digits model trained when no --checkpoint is given')
    parser.add_argument('--alphas', default='0:4.9:0.1',
                        help='the alphas, start:stop:step or a comma list (default: 50 values)')
    args = parser.parse_args()
    if (args.config is None) != (args.checkpoint is None):
        parser.error('give --config and --checkpoint together, or neither')
    alphas = parse_alphas(args.alphas)
    with tempfile.TemporaryDirectory() as work_dir:
        config, checkpoint = args.config, args.checkpoint
        if config is None:
            config = DIGITS_CONFIG
            checkpoint = train_digits(osp.join(work_dir, 'train'), args.train_epochs)

        # Untimed warm-up of both paths: the first call of either pays one-off lazy imports.
        sweep_checkpoint(config, checkpoint, args.split, alphas[:1])
        test_runs(config, checkpoint, args.split, alphas[:1], osp.join(work_dir, 'test'))
        # Timed: sweep, half the test runs, sweep, the other half, sweep.
        sweep_seconds, test_seconds, tested = [], 0.0, []
        halves = (alphas[:len(alphas) // 2], alphas[len(alphas) // 2:], [])
        for half in halves:
            start = time.perf_counter()
            swept, _ = sweep_checkpoint(config, checkpoint, args.split, alphas)
            sweep_seconds.append(time.perf_counter() - start)
            start = time.perf_counter()
            tested += test_runs(config, checkpoint, args.split, half, osp.join(work_dir, 'test'))
            test_seconds += time.perf_counter() - start
        sweep_seconds = statistics.median(sweep_seconds)

    difference = max(abs(s.get(group, float('inf')) - t.get(group, float('-inf')))
                     for s, t in zip(swept, tested)
                     for group in COLUMNS if group in s or group in t)
    print(f'\n{osp.relpath(config, ROOT)}, {args.split} split, {len(alphas)} alphas '
          f'({alphas[0]:g} to {alphas[-1]:g}), torch {torch.get_num_threads()} threads')
    print(f'  sweep (1 forward pass + in-memory scoring): {sweep_seconds:8.2f} s (median of 3)')
    print(f'  {len(alphas)} tools/test.py-style runs:          {test_seconds:8.2f} s')
    print(f'  ratio: {test_seconds / sweep_seconds:.1f}x (target >= 50x)')
    print(f'  largest accuracy difference sweep vs test runs: {difference:.2f} points '
          f'({"agree" if difference < 1e-6 else "DISAGREE"})')
    if difference >= 1e-6:
        worst = max(zip(swept, tested), key=lambda st: abs(st[0]['overall'] - st[1]['overall']))
        print(f'  e.g. alpha={worst[0]["alpha"]:g}: sweep {worst[0]}, test run {worst[1]}')


if __name__ == '__main__':
    main()
