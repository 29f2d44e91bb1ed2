"""Where a Cascade R-CNN loses each LVIS frequency group's objects: not found, or misclassified.

    python tools/analysis/detection_outcomes.py CONFIG CHECKPOINT [--split {train,val,test}]
        [--alphas A ...] [--out FILE] [--cfg-options KEY=VALUE ...]

For each ground-truth object of the split (default ``test``; ``train`` is read with the test
pipeline: what did the model learn of its own training objects?) and each alpha of the TDE heads
(``--alphas``, the same in the three stages; none for a detector without TDE, as configured), the
share of the rare, common and frequent objects that is ``found`` (a final detection of any
category at IoU >= 0.5), ``detected`` (one of its own category), ``classified`` (its
ground-truth box as the only RoI scores its own category highest) and ``top5`` (among its 5
highest): :mod:`mmcausal.apis.detection_analysis`. A category TDE should lift but does not is
localized and not classified, or not localized at all; this tells which. Example, de-confound
against TDE::

    NAME=cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini
    python tools/analysis/detection_outcomes.py configs/lvis_mini/deconfound-tde_$NAME.py \\
        work_dirs/deconfound_$NAME/epoch_4.pth --alphas 0 1.5

Writes ``--out`` (JSON: per setting, per outcome, per group, in %, and the objects per group)
if given.
"""
import argparse
import json
from typing import Dict, Optional, Sequence

from mmengine.config import Config, DictAction

from mmcausal.apis.detection_analysis import OUTCOMES, outcome_rates, split_dataset

GROUPS = {'r': 'rare', 'c': 'common', 'f': 'frequent'}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config of the detector and the split')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='test',
                        help='split to analyse (default: test; train: read with the test '
                        'pipeline, to see what the model learned of its own training objects)')
    parser.add_argument('--alphas', type=float, nargs='+',
                        help='TDE alphas to set in the three stage heads, e.g. 0 1.5 (default: '
                        'the model as configured)')
    parser.add_argument('--out', help='JSON file for the shares')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    args = parser.parse_args(argv)
    if args.alphas and min(args.alphas) < 0:
        parser.error(f'--alphas {args.alphas}: every alpha must be >= 0 (0 is de-confound)')
    return args


def format_rates(rates: Dict[str, dict]) -> str:
    """One line per setting and outcome: the share of each group's objects (%)."""
    objects = next(iter(rates.values()))['objects']
    lines = ['objects: ' + ', '.join(f'{GROUPS[g]} {n}' for g, n in objects.items()),
             '| setting | outcome | ' + ' | '.join(GROUPS[g] for g in objects) + ' |',
             '| --- | --- |' + ' ---: |' * len(objects)]
    for setting, shares in rates.items():
        for outcome in OUTCOMES:
            lines.append(f'| {setting} | {outcome} | '
                         + ' | '.join(f'{shares[outcome][g]:.1f}' for g in objects) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Run the analysis of the command line ``argv``; returns the shares by setting."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    rates = outcome_rates(cfg, args.checkpoint, split_dataset(cfg, args.split), args.alphas)
    print(f'\n{args.split} split:\n' + format_rates(rates))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint, split=args.split,
                           rates=rates), f, indent=2)
    return rates


if __name__ == '__main__':
    main()
