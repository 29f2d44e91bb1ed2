"""Which post-hoc correction fits your data: TDE (and its alpha), or logit adjustment (its t).

    python tools/analysis/choose_correction.py CONFIG CHECKPOINT
        [--linear LINEAR_CONFIG LINEAR_CHECKPOINT] [--split {val,test}] [--alphas 0:3:0.1]
        [--ts 0:2:0.1] [--select {overall,few,balanced}] [--out DIR]
        [--cfg-options KEY=VALUE ...]

TDE is not a free gain: at the CPU benchmarks' budget it raises the de-confound model's accuracy
on CIFAR-10-LT but lowers it on Fashion-MNIST-LT and on the long-tailed digits, where post-hoc
logit adjustment of a linear model gains instead (the tables of README's Results and of
benchmarks/README.md). Run this on your val split before you ship a paper's alpha:

- ``CONFIG CHECKPOINT``: a de-confound (or cosine, capsule) model trained with
  ``HeadDirectionHook``. The split is forwarded once to the two TDE terms,
  ``TDE(alpha) = z - alpha * c`` (paper Eq. 8), and every alpha of ``--alphas`` is scored
  (alpha = 0: the de-confound model alone).
- ``--linear LINEAR_CONFIG LINEAR_CHECKPOINT`` (optional): the linear baseline
  (``TDEClsHead(classifier='linear')``) trained on the same data. Forwarded once, every t of
  ``--ts`` is scored for logit adjustment ``z - t * log p`` (Menon et al., ICLR 2021; p the
  training class frequencies; t = 0: the linear model as trained).

Each model's best value maximizes ``--select`` on the split, as ``tools/analysis/sweep_alpha.py``
and the benchmarks choose (the smallest value on a tie); logit adjustment is recommended only
when it scores strictly higher than TDE's best. Both grids must start at 0. The tool prints the
tables, the recommendation and the ``tools/test.py`` command that reports it on the test split:

- TDE with alpha = a, or alpha = 0 (de-confound alone): ``--cfg-options model.head.alpha=a``;
- logit adjustment with t: it is a bias, ``W x + b - t log p``, so the tool writes the linear
  checkpoint with that bias to ``OUT/logit_adjusted_t{t}.pth``, which ``tools/test.py`` (and any
  deployment) runs as it is;
- the linear model as trained (t = 0): its checkpoint as it is.

The command repeats ``--cfg-options``, which apply to both configs.

``choose_correction.json`` in ``--out`` (default ``work_dirs/CONFIG_NAME``) holds both sweeps,
the split, the criterion and the recommendation with its command.
"""
import argparse
import json
import os
import os.path as osp
import shlex
from typing import Optional, Sequence

import torch
from mmengine.config import DictAction

from mmcausal.apis import SPLITS, default_work_dir, split_terms
from mmcausal.evaluation.alpha_sweep import (DEFAULT_SELECT, SELECT_CRITERIA, SELECT_HELP,
                                             best_alpha_index, choose_correction, format_sweep,
                                             grid_argument, sweep_alphas)
from mmcausal.evaluation.logit_adjustment import adjusted_logits

BIAS = 'head.classifier.bias'


class CfgOptions(DictAction):
    """``--cfg-options`` parsed as mmengine's tools do, its text also kept (shell-quoted) for
    the ``tools/test.py`` command the tool prints."""

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        namespace.cfg_options_text = ' '.join(map(shlex.quote, values))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Choose between TDE (alpha) and logit adjustment (t) on a val split')
    parser.add_argument('config', help='config file of the de-confound model and the split')
    parser.add_argument('checkpoint',
                        help='de-confound checkpoint (trained with HeadDirectionHook)')
    parser.add_argument('--linear', nargs=2, metavar=('LINEAR_CONFIG', 'LINEAR_CHECKPOINT'),
                        help="config and checkpoint of the linear model (classifier='linear') "
                        'trained on the same data, to weigh logit adjustment against TDE')
    parser.add_argument('--split', choices=SPLITS, default='val',
                        help='split to choose on (default: val)')
    parser.add_argument('--alphas', type=grid_argument, default='0:3:0.1',
                        help="TDE's alphas: start:stop:step, stop included, or a comma list, "
                        'from 0 (default: 0:3:0.1)')
    parser.add_argument('--ts', type=grid_argument, default='0:2:0.1',
                        help="logit adjustment's t, from 0, as --alphas (default: 0:2:0.1)")
    parser.add_argument('--select', choices=SELECT_CRITERIA, default=DEFAULT_SELECT,
                        help=SELECT_HELP)
    parser.add_argument('--out', help='output directory (default: work_dirs/CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptions,
                        help='override settings of both configs, e.g. '
                        'val_dataloader.batch_size=64; the printed tools/test.py command repeats '
                        'them')
    args = parser.parse_args(argv)
    for flag, grid in (('--alphas', args.alphas), ('--ts', args.ts)):
        if grid[0] != 0:
            parser.error(f'argument {flag}: the grid must start at 0 (the model without the '
                         f'correction, to compare with), e.g. 0:3:0.1; got {grid[0]:g}')
    return args


def write_logit_adjusted(checkpoint: str, t: float, train_class_counts: Sequence[int],
                         path: str) -> None:
    """Save ``checkpoint`` of a linear model with logit adjustment in its bias,
    ``b - t log p``, so that it predicts ``argmax W x + b - t log p``."""
    saved = torch.load(checkpoint, map_location='cpu', weights_only=True)
    weights = saved['state_dict']
    weights[BIAS] = adjusted_logits(weights[BIAS], train_class_counts, t)
    torch.save(saved, path)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the choice of the command line ``argv``; returns what ``choose_correction.json``
    holds."""
    args = parse_args(argv)
    out = args.out or default_work_dir(args.config)
    terms = split_terms(args.config, args.checkpoint, args.split, args.cfg_options)
    sweeps = dict(tde=sweep_alphas(terms.z, terms.c, terms.gt, args.alphas, terms.metric))
    print(f'\nTDE of the de-confound model: LongTailAccuracy (%) on the {args.split} split of '
          f'{len(terms.gt)} samples')
    print(format_sweep(sweeps['tde'], best_alpha_index(sweeps['tde'], args.select)))
    if args.linear:
        linear = split_terms(*args.linear, args.split, args.cfg_options, linear=True)
        sweeps['logit_adjustment'] = sweep_alphas(linear.z, linear.c, linear.gt, args.ts,
                                                  linear.metric)
        print('\nlogit adjustment of the linear model (z - t log p):')
        print(format_sweep(sweeps['logit_adjustment'],
                           best_alpha_index(sweeps['logit_adjustment'], args.select), 't'))

    choice = choose_correction(sweeps['tde'], sweeps.get('logit_adjustment'), args.select)
    value = choice['value']
    os.makedirs(out, exist_ok=True)
    options = [args.cfg_options_text] if args.cfg_options else []
    if choice['correction'] == 'logit_adjustment':
        adjusted = osp.join(out, f'logit_adjusted_t{value:g}.pth')
        write_logit_adjusted(args.linear[1], value, linear.metric.class_counts(), adjusted)
        print(f'\nwrote {adjusted}: the linear checkpoint with its bias b - {value:g} log p')
        tested = [args.linear[0], adjusted]
    elif choice['correction'] == 'linear':
        tested = args.linear
    else:
        tested = [args.config, args.checkpoint]
        options.append(f'model.head.alpha={value!r}')
    command = ' '.join(['python tools/test.py', *tested,
                        *(['--cfg-options', *options] if options else [])])
    advice = {'tde': f'TDE with alpha = {value:g}',
              'deconfound': 'alpha = 0, the de-confound model alone (no alpha > 0 of the grid '
                            'scores higher)',
              'logit_adjustment': f'logit adjustment of the linear model with t = {value:g}',
              'linear': 'the linear model as trained (t = 0: neither correction helps)'}
    print(f'\nrecommended, by {args.select} accuracy on the {args.split} split '
          f'({choice["score"]:.2f} %): {advice[choice["correction"]]}')
    print(f'test it: {command}')

    summary = dict(config=args.config, checkpoint=args.checkpoint, linear=args.linear,
                   split=args.split, select=args.select, tde=sweeps['tde'],
                   logit_adjustment=sweeps.get('logit_adjustment'),
                   recommendation=dict(choice, command=command))
    with open(osp.join(out, 'choose_correction.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'wrote {osp.join(out, "choose_correction.json")}')
    return summary


if __name__ == '__main__':
    main()
