"""Where the 5 points go: the 200-epoch CIFAR-10-LT rows of three trainings on two test splits.

    python benchmarks/cifar10_lt_attribution.py --png DIR --jpg DIR --lossless-held-out DIR
        [--out DIR]

Three trainings of ``benchmarks/cifar10_lt_full.sh`` (seed 0, bf16), each a linear and a
de-confound model, differ in one thing at a time:

``jpg-4500``
    ``--setting jpg`` on the JPEG training images (quality 75), ratio 100 drawn from 4,500 per
    class (4,500 ... 45), val and test held out of the training images: the published
    checkpoints and ``cifar10_lt_full.json`` in ``benchmarks/results``.
``lossless-4500``
    the same on the lossless training images (``--data PNG/train``): ``--lossless-held-out``,
    the ``--out`` folder of that run.
``lossless-5000``
    ``--setting paper``: lossless, the paper's 5,000 ... 50, the official test split:
    ``cifar10_lt_r100_paper.json`` in ``benchmarks/results``.

The held-out rows are those the runs wrote. This script scores the two 4,500 trainings on the
official test split too (:func:`~mmcausal.apis.score_seed`, alpha and t chosen on each run's own
val split, as in the runs), so that going from ``jpg-4500`` on its held-out split to
``lossless-5000`` on the official one takes three steps, each changing one thing: the test split,
lossy images, 10 % fewer training images. Their sum is the whole gap, exactly.

``--png DIR``: CIFAR-10 as lossless ``DIR/train/<class>/*`` and ``DIR/test/<class>/*``;
``--jpg DIR``: the JPEG training images in class folders. Writes ``cifar10_lt_attribution.json``
into ``--out`` (default ``benchmarks/results``): ``overall`` (row -> setting -> overall top-1,
%) and ``steps`` (row -> step -> its change in points).
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict

from mmcausal.apis import data_root_options, image_folder_options, published_checkpoint, score_seed
from mmcausal.apis.arguments import parse_alphas

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS = osp.join(ROOT, 'benchmarks', 'results')
CONFIGS = {'jpg': osp.join(ROOT, 'configs', 'cifar10_jpg_lt',
                           '{row}_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py'),
           'paper': osp.join(ROOT, 'configs', 'cifar_lt',
                             '{row}_resnet32_1xb256-200e_cifar10-lt-r100.py')}
ROWS = {'linear': 'linear', 'linear-la': 'linear + LA (t = 1)', 'deconfound': 'de-confound',
        'deconfound-tde': 'de-confound-TDE (alpha = 1)'}
SETTINGS = {  # (training, test split) -> its name in the tables
    ('jpg-4500', 'held-out'): 'JPEG, 4,500 ... 45; held-out test',
    ('jpg-4500', 'official'): 'JPEG, 4,500 ... 45; official test',
    ('lossless-4500', 'held-out'): 'lossless, 4,500 ... 45; held-out test',
    ('lossless-4500', 'official'): 'lossless, 4,500 ... 45; official test',
    ('lossless-5000', 'official'): "lossless, 5,000 ... 50; official test (the paper's)"}
# Each step changes one thing; from the first setting to the last.
STEPS = {
    'the test split (held-out -> official)': (
        ('jpg-4500', 'held-out'), ('jpg-4500', 'official')),
    'lossy images (JPEG -> lossless)': (
        ('jpg-4500', 'official'), ('lossless-4500', 'official')),
    '10 % fewer training images (4,500 -> 5,000 head)': (
        ('lossless-4500', 'official'), ('lossless-5000', 'official'))}
SWEEP = '0:3:0.1'  # the runs' grid of alpha and t on val


def published(folder: str, setting: str, row: str) -> str:
    """The one published 200-epoch checkpoint of ``row`` in ``folder``."""
    name = osp.basename(CONFIGS[setting].format(row=row))[:-len('.py')]
    return published_checkpoint(osp.join(folder, f'{name}_epoch_200'))


def rows_of(path: str) -> Dict[str, float]:
    """Overall top-1 of :data:`ROWS` in a results JSON of ``cifar10_lt_full.sh`` (seed 0)."""
    with open(path) as f:
        rows = json.load(f)['rows']
    return {row: rows[row]['overall'][0] for row in ROWS}


def official_test_options(train_folder: str, png: str) -> dict:
    """``cfg_options`` of the ``jpg`` configs: training, val and the held-out test from
    ``train_folder`` as the run read them, then the test loader replaced by the official test
    images of ``png`` (as ``image_folder_options`` reads them for the paper's configs)."""
    deconfound = CONFIGS['jpg'].format(row='deconfound')
    official = image_folder_options(CONFIGS['paper'].format(row='deconfound'), png)
    return dict(data_root_options(deconfound, train_folder),
                **{'test_dataloader.dataset': official['test_dataloader.dataset']})


def official_rows(folder: str, train_folder: str, png: str) -> Dict[str, float]:
    """Overall top-1 of :data:`ROWS` on the official test split for the ``jpg`` checkpoints
    published in ``folder``, alpha and t chosen on the val split held out of ``train_folder``."""
    checkpoints = {row: (CONFIGS['jpg'].format(row=row), published(folder, 'jpg', row))
                   for row in ('linear', 'deconfound')}
    result = score_seed(checkpoints['linear'], checkpoints['deconfound'], alpha=1.0,
                        alphas=parse_alphas(SWEEP), ts=parse_alphas(SWEEP),
                        cfg_options=official_test_options(train_folder, png))
    return {row: result['rows'][row]['overall'] for row in ROWS}


def attribution(overall: Dict[tuple, Dict[str, float]]) -> dict:
    """``overall`` and ``steps`` of the JSON from setting -> row -> overall top-1."""
    return dict(
        overall={ROWS[row]: {SETTINGS[setting]: round(overall[setting][row], 2)
                             for setting in SETTINGS} for row in ROWS},
        steps={ROWS[row]: {step: round(overall[after][row] - overall[before][row], 2)
                           for step, (before, after) in STEPS.items()} for row in ROWS})


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--png', required=True, help='CIFAR-10 as lossless image folders: '
                        'DIR/train/<class>/* and DIR/test/<class>/*')
    parser.add_argument('--jpg', required=True,
                        help='the CIFAR-10 training JPEGs, one folder per class')
    parser.add_argument('--lossless-held-out', required=True, metavar='DIR',
                        help='the --out folder of benchmarks/cifar10_lt_full.sh --setting jpg '
                        '--data PNG/train')
    parser.add_argument('--out', default=RESULTS, help='default: benchmarks/results')
    args = parser.parse_args()
    for flag, folder in (('--png', osp.join(args.png, 'train')),
                         ('--png', osp.join(args.png, 'test')), ('--jpg', args.jpg),
                         ('--lossless-held-out', args.lossless_held_out)):
        if not osp.isdir(folder):
            parser.error(f'{flag}: no folder {folder}')
    return args


def main() -> None:
    args = parse_args()
    overall = {
        ('jpg-4500', 'held-out'): rows_of(osp.join(RESULTS, 'cifar10_lt_full.json')),
        ('jpg-4500', 'official'): official_rows(RESULTS, args.jpg, args.png),
        ('lossless-4500', 'held-out'): rows_of(
            osp.join(args.lossless_held_out, 'cifar10_lt_full.json')),
        ('lossless-4500', 'official'): official_rows(
            args.lossless_held_out, osp.join(args.png, 'train'), args.png),
        ('lossless-5000', 'official'): rows_of(osp.join(RESULTS, 'cifar10_lt_r100_paper.json'))}
    result = attribution(overall)
    os.makedirs(args.out, exist_ok=True)
    with open(osp.join(args.out, 'cifar10_lt_attribution.json'), 'w') as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == '__main__':
    main()
