"""Choose TDE's alpha without retraining: one forward pass, every alpha scored (paper Fig. 4).

    python tools/analysis/sweep_alpha.py CONFIG CHECKPOINT [--split {val,test}]
        [--alphas 0:4:0.1] [--select {overall,few,balanced}] [--out DIR]
        [--cfg-options KEY=VALUE ...]

The split (default ``val``: choose alpha on validation, report on test) is forwarded once to the
two TDE logit terms of ``model.head`` (a ``TDEClsHead``), ``TDE(alpha) = z - alpha * c``
(Eq. 8); each alpha of the grid is then scored in memory by the split's ``LongTailAccuracy``,
so the numbers of any alpha are those ``tools/test.py CONFIG CHECKPOINT --cfg-options
model.head.alpha=ALPHA`` reports on the test split. ``--alphas`` is ``start:stop:step``
(stop included) or a comma list, every alpha >= 0 (0 is the de-confounded model).

The best alpha maximizes, per ``--select``: ``overall`` top-1 (the default, and the criterion
of the benchmarks: on a class-balanced val split it weighs every class alike), ``balanced``,
the mean of the many/medium/few accuracies present (for a long-tailed val split when every
class matters alike: overall top-1 there follows the head classes), or ``few``-shot accuracy
(when the few-shot classes are the target); the smallest alpha wins a tie.
``tools/analysis/choose_correction.py`` also weighs it against logit adjustment of a linear
model. The tool prints the table, the best alpha and the ``--cfg-options`` that selects it, and
writes to ``--out`` (default ``work_dirs/CONFIG_NAME``):

- ``alpha_sweep.json``: ``results`` (per alpha: alpha, overall, many, medium, few, in %),
  ``best`` (the chosen row), ``select``, ``split``, ``cfg_options``;
- ``alpha_sweep.png``: the four accuracies against alpha, the chosen alpha marked.

Example, on the demo's digits (no val split there)::

    python tools/analysis/sweep_alpha.py \\
        configs/digits_lt/deconfound_resnet8_1xb32-30e_digits-lt-r100.py \\
        work_dirs/demo/deconfound/epoch_30.pth --split test --alphas 0:3:0.25

Detection (LVIS, ``TDEShared2FCBBoxHead``) re-runs inference per alpha instead. Its scores are
not ``z - alpha * c`` but the background-exempted probabilities of Eq. 9, non-linear in alpha
and averaged over the three cascade stages; the per-class NMS and the 300-detection cap run
after this scoring, so every alpha keeps different boxes, and the mask head then runs on those
boxes, needing the FPN features of every image again. A cache would hold per image about 1,000
RoIs x 1,231 classes x 2 terms x 3 stages (some 30 MB, 150 GB for LVIS v0.5 val) plus the FPN
features, and LVIS evaluation itself takes minutes per alpha. So test each alpha (the same for
the three stages) with ``tools/test.py``::

    for alpha in 0.5 1.0 1.5 2.0; do
      python tools/test.py CONFIG CHECKPOINT --work-dir work_dirs/lvis_alpha_${alpha} \\
        --cfg-options model.roi_head.bbox_head.0.alpha=${alpha} \\
          model.roi_head.bbox_head.1.alpha=${alpha} model.roi_head.bbox_head.2.alpha=${alpha}
    done
"""
import argparse
import json
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import DictAction

from mmcausal.apis import SPLITS, default_work_dir, sweep_checkpoint
from mmcausal.apis.arguments import SELECT_HELP, grid_argument
from mmcausal.evaluation.alpha_sweep import (DEFAULT_SELECT, SELECT_CRITERIA, best_alpha_index,
                                             format_sweep, selection_score)
from mmcausal.visualization import plot_sweeps


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Sweep the TDE strength alpha of a checkpoint')
    parser.add_argument('config', help='config file of the model and the split')
    parser.add_argument('checkpoint', help='checkpoint file (trained with HeadDirectionHook)')
    parser.add_argument('--split', choices=SPLITS, default='val',
                        help='split to sweep on (default: val)')
    parser.add_argument('--alphas', type=grid_argument, default='0:4:0.1',
                        help='start:stop:step, stop included, or a comma list (default: 0:4:0.1)')
    parser.add_argument('--select', choices=SELECT_CRITERIA, default=DEFAULT_SELECT,
                        help=SELECT_HELP)
    parser.add_argument('--out', help='output directory (default: work_dirs/CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. test_dataloader.batch_size=64')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the sweep of the command line ``argv``; returns what ``alpha_sweep.json`` holds."""
    args = parse_args(argv)
    out = args.out or default_work_dir(args.config)
    results, num_samples = sweep_checkpoint(args.config, args.checkpoint, args.split,
                                            args.alphas, args.cfg_options)
    best = best_alpha_index(results, args.select)
    best_alpha = results[best]['alpha']
    cfg_options = f'model.head.alpha={best_alpha!r}'
    print(f'\nLongTailAccuracy (%) on the {args.split} split of {num_samples} samples:')
    print(format_sweep(results, best))
    print(f'best alpha by {args.select} accuracy: {best_alpha:g} '
          f'({args.select} {selection_score(results[best], args.select):.2f}%)')
    print(f'use: --cfg-options {cfg_options}')

    summary = dict(config=args.config, checkpoint=args.checkpoint, split=args.split,
                   select=args.select, results=results, best=results[best],
                   cfg_options=cfg_options)
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'alpha_sweep.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    plot_sweeps([results], osp.join(out, 'alpha_sweep.png'),
                f'TDE alpha sweep, {args.split} split ({args.select} best)',
                {f'chosen alpha={best_alpha:g}': best_alpha})
    print(f'wrote {osp.join(out, "alpha_sweep.json")} and alpha_sweep.png')
    return summary


if __name__ == '__main__':
    main()
