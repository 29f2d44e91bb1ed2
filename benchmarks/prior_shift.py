"""When the test data is long-tailed too: the corrections scored under seven test class priors, on
two trained checkpoints, without retraining.

    python benchmarks/prior_shift.py [--data DIR] [--deconfound CONFIG CHECKPOINT]
        [--linear CONFIG CHECKPOINT] [--alphas 0:3:0.1] [--ts 0:3:0.1] [--draws 10] [--seed 0]
        [--work-dir DIR] [--out DIR] [--smoke]

The test priors: forward long-tailed with imbalance 100, 50 and 10 (the exponential profile of
the training sets, class 0 the head), balanced, and backward 10, 50 and 100 (the same profile
reversed), as test-agnostic long-tail benchmarks score. Each score is the expected top-1 (%) of a
test set drawn with the prior from the test split's images of each class, ``sum_y q_y acc_y``
(:class:`~mmcausal.evaluation.PriorWeightedAccuracy`), exact and the same for every correction;
whatever is chosen is chosen on val under the same prior. The rows, all from one forward pass of
each model over val and test (cached in ``--work-dir``):

=================  ==========================================================================
uncorrected        the de-confound model, ``argmax z`` (alpha = 0)
tde                TDE at alpha = 1 (the paper's, CIFAR-10-LT)
tde-target         TDE at the alpha of ``--alphas`` best on val under the target prior
la                 the linear model with logit adjustment towards balanced, ``z - log p``
la-target          the linear model adjusted towards the target prior, ``z - log p + log q``
la-estimated       the same towards the EM estimate of q (Saerens et al. 2002) from unlabelled
                   test images drawn with q, the logits calibrated by a temperature fitted on
                   val; the mean over ``--draws`` draws
chosen             what ``tools/analysis/choose_correction.py --target-prior`` recommends for
                   the prior from val: TDE's alpha (alpha = 0 included) or logit adjustment's t
                   towards q (t = 0, the linear model, included)
=================  ==========================================================================

The unlabelled test set of la-estimated emulates a deployment drawn with q from the balanced
test split: per class ``round(N q_y)`` images without replacement (seeded), with N the largest
size the split allows (620 of the 2,500 at imbalance 100, the head class's 250 all drawn; the
whole split for balanced). EM sees only the linear model's probabilities of those images,
``softmax(z / T)`` with T fitted on val (:func:`~mmcausal.evaluation.fit_temperature`); the
estimate's total variation to q is reported beside the score, and that of EM on ``softmax(z)``
(T = 1), which the calibration improves on.

Writes ``test_prior_shift.json`` (``{"priors": {prior: {row: top-1}}}`` and the choices behind
each row), ``test_prior_shift.md`` and ``test_prior_shift.png`` (top-1 against the test prior,
one line per row) to ``--out`` (default ``benchmarks/results``; smoke: the work directory).
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import platform
import shlex
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmcausal.apis import data_root_options, published_checkpoint, split_terms, tiny_data_options
from mmcausal.apis.arguments import grid_argument
from mmcausal.evaluation import (LongTailAccuracy, class_accuracy, correction_sweeps,
                                 estimate_prior, exponential_prior, fit_temperature,
                                 log_prior_ratio, prior_weighted_accuracy, total_variation)
from mmcausal.evaluation.alpha_sweep import best_alpha_index, choose_correction

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NAME = '{row}_resnet32_1xb256-200e_cifar10-jpg-lt-r100'
MODELS = ('deconfound', 'linear')
# the configs and the stems of the published 200-epoch checkpoints ({stem}-{hash}.pth)
DEFAULTS = {row: (osp.join('configs', 'cifar10_jpg_lt', NAME.format(row=row) + '.py'),
                  osp.join('benchmarks', 'results', NAME.format(row=row) + '_epoch_200'))
            for row in MODELS}
# name -> (imbalance ratio, reversed); ratio 1 is balanced
PRIORS = {'forward-100': (100, False), 'forward-50': (50, False), 'forward-10': (10, False),
          'balanced': (1, False), 'backward-10': (10, True), 'backward-50': (50, True),
          'backward-100': (100, True)}
ROWS = {'uncorrected': 'uncorrected (de-confound, alpha = 0)',
        'tde': 'TDE, alpha = 1',
        'tde-target': 'TDE, alpha chosen on val for the target',
        'la': 'logit adjustment t = 1 towards balanced (linear)',
        'la-target': 'logit adjustment t = 1 towards the target prior',
        'la-estimated': 'logit adjustment t = 1 towards the EM estimate',
        'chosen': 'chosen on val (choose_correction.py --target-prior)'}
TDE_ALPHA = 1.0
SPLITS = ('val', 'test')


def draw_with_prior(gt: torch.Tensor, prior: np.ndarray,
                    generator: torch.Generator) -> torch.Tensor:
    """Indices of a test set whose classes follow ``prior``, drawn without replacement from the
    samples of each class (labels ``gt``, (N,)): ``round(M q_y)`` of class y, M the largest size
    the samples allow (``min_y n_y / q_y``). Sorted, (sum round(M q_y),)."""
    available = torch.bincount(gt, minlength=len(prior)).numpy()
    size = min(available[y] / prior[y] for y in range(len(prior)) if prior[y] > 0)
    taken = np.rint(size * prior).astype(np.int64)
    chosen = []
    for y, count in enumerate(taken):
        members = torch.nonzero(gt == y).flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:count]])
    return torch.cat(chosen).sort().values


def forward(models: Dict[str, Sequence[str]], options: Optional[dict], work_dir: str) -> dict:
    """``{model: {split: dict(z, c, gt)}}`` and the training counts and class names, from one
    forward pass per model and split, cached in ``work_dir`` by the arguments."""
    terms, counts, classes = {}, None, None
    for model, (config, checkpoint) in models.items():
        terms[model] = {}
        for split in SPLITS:
            key = json.dumps([model, osp.abspath(config), osp.abspath(checkpoint), split, options],
                             sort_keys=True)
            path = osp.join(work_dir, f'{model}_{split}_'
                            f'{hashlib.sha256(key.encode()).hexdigest()[:12]}.pt')
            if not osp.exists(path):
                split_ = split_terms(config, checkpoint, split, options, linear=model == 'linear')
                torch.save(dict(z=split_.z.cpu(), c=split_.c.cpu(), gt=split_.gt.cpu(),
                                counts=list(split_.metric.class_counts()),
                                classes=list(split_.metric.dataset_meta.get('classes') or []),
                                thresholds=list(split_.metric.thresholds)), path)
            saved = torch.load(path, weights_only=True)
            if counts not in (None, saved['counts']):
                raise ValueError(f'the two models see different training counts, {counts} and '
                                 f"{saved['counts']}: give the configs of one training set")
            counts, classes = saved['counts'], saved['classes']
            terms[model][split] = saved
    return dict(terms=terms, counts=counts, classes=classes)


def score_prior(terms: dict, counts: List[int], prior: np.ndarray, alphas: Sequence[float],
                ts: Sequence[float], draws: int, seed: int, temperature: float) -> dict:
    """Every row of :data:`ROWS` under ``prior``: choices on val, the top-1 on test; the EM of
    la-estimated on the linear logits divided by ``temperature``."""
    deconfound, linear = terms['deconfound'], terms['linear']
    num_classes = len(counts)

    def top1(logits: torch.Tensor, split: dict) -> float:
        return prior_weighted_accuracy(
            class_accuracy(logits.argmax(1), split['gt'], num_classes), prior)

    metric = LongTailAccuracy(*deconfound['val']['thresholds'], train_class_counts=counts)
    sweeps = correction_sweeps(
        (deconfound['val']['z'], deconfound['val']['c'], deconfound['val']['gt']),
        (linear['val']['z'], linear['val']['gt']), metric, prior, alphas, ts)
    alpha = sweeps['tde'][best_alpha_index(sweeps['tde'], 'overall')]['alpha']
    choice = choose_correction(sweeps['tde'], sweeps['logit_adjustment'], 'overall')
    dz, dc = deconfound['test']['z'], deconfound['test']['c']
    lz = linear['test']['z']
    towards_target = log_prior_ratio(counts, prior)
    chosen = (dz - choice['value'] * dc if choice['correction'] in ('tde', 'deconfound')
              else lz - choice['value'] * towards_target)

    generator = torch.Generator().manual_seed(seed)
    estimates = []
    for _ in range(draws):
        drawn = draw_with_prior(linear['test']['gt'], prior, generator)
        logits = lz[drawn].double()
        estimate, iterations = estimate_prior(torch.softmax(logits / temperature, dim=1), counts)
        uncalibrated, _ = estimate_prior(torch.softmax(logits, dim=1), counts)
        estimates.append(dict(
            top1=top1(lz - log_prior_ratio(counts, estimate), linear['test']),
            total_variation=total_variation(estimate, prior), iterations=iterations,
            images=len(drawn), prior=estimate.tolist(),
            total_variation_uncalibrated=total_variation(uncalibrated, prior)))
    rows = {'uncorrected': top1(dz, deconfound['test']),
            'tde': top1(dz - TDE_ALPHA * dc, deconfound['test']),
            'tde-target': top1(dz - alpha * dc, deconfound['test']),
            'la': top1(lz - log_prior_ratio(counts, np.ones(num_classes)), linear['test']),
            'la-target': top1(lz - towards_target, linear['test']),
            'la-estimated': float(np.mean([e['top1'] for e in estimates])),
            'chosen': top1(chosen, deconfound['test'] if choice['correction'] in (
                'tde', 'deconfound') else linear['test'])}
    return dict(rows=rows, prior=prior.tolist(), tde_target_alpha=alpha,
                chosen=dict(correction=choice['correction'], value=choice['value'],
                            val=choice['score']),
                estimates=estimates, val_sweeps=sweeps)


def markdown(result: dict) -> str:
    setup, priors = result['setup'], result['priors']
    names = list(priors)
    lines = [
        '# When the test data is long-tailed too (benchmarks/prior_shift.py)', '',
        f"`{setup['command']}`", '',
        f"De-confound: `{setup['deconfound'][1]}`; linear: `{setup['linear'][1]}`; "
        f"{setup['device']}, torch {setup['torch']}.", '',
        f"Training counts {setup['train_class_counts']}; val {setup['images']['val']} and test "
        f"{setup['images']['test']} images. Each number is the expected top-1 (%) of a test set "
        'drawn with the prior from the test images of each class (per-class top-1 weighted by '
        'the prior); alpha and t are chosen on val under the same prior. Forward: class 0 the '
        'head; backward: the profile reversed.', '',
        '| row | ' + ' | '.join(names) + ' |', '| --- |' + ' ---: |' * len(names)]
    for row, title in ROWS.items():
        lines.append(f'| {title} | ' + ' | '.join(f'{priors[name][row]:.2f}' for name in names)
                     + ' |')
    details = result['details']
    short = dict(tde='TDE', deconfound='alpha 0', logit_adjustment='LA', linear='linear')
    lines += [
        '', '| chosen on val | ' + ' | '.join(names) + ' |', '| --- |' + ' --- |' * len(names),
        '| alpha of tde-target | ' + ' | '.join(
            f"{details[name]['tde_target_alpha']:g}" for name in names) + ' |',
        '| chosen | ' + ' | '.join(
            f"{short[details[name]['chosen']['correction']]} {details[name]['chosen']['value']:g}"
            for name in names) + ' |',
        '| chosen - max(uncorrected, tde) | ' + ' | '.join(
            f"{priors[name]['chosen'] - max(priors[name]['uncorrected'], priors[name]['tde']):+.2f}"
            for name in names) + ' |',
        '| EM estimate: images drawn | ' + ' | '.join(
            str(details[name]['estimates'][0]['images']) for name in names) + ' |',
        '| EM estimate: total variation to the prior, mean (max) | ' + ' | '.join(
            '{:.3f} ({:.3f})'.format(*_mean_max(details[name], 'total_variation'))
            for name in names) + ' |',
        '| EM on softmax(z), T = 1: total variation, mean (max) | ' + ' | '.join(
            '{:.3f} ({:.3f})'.format(*_mean_max(details[name], 'total_variation_uncalibrated'))
            for name in names) + ' |',
        '| la-estimated top-1, min-max over draws | ' + ' | '.join(
            '{:.2f}-{:.2f}'.format(*_min_max(details[name], 'top1')) for name in names) + ' |',
        '', f"TDE: alpha in {_grid(setup['alphas'])}; logit adjustment towards the target: t "
        f"in {_grid(setup['ts'])}; EM: {setup['draws']} draws, seed {setup['seed']}, on the linear "
        f"model's softmax(z / T), T = {setup['temperature']:.3f} fitted on val. 'LA t' is logit "
        "adjustment of the linear model towards the target with t, 'TDE a' TDE with alpha a, "
        "'alpha 0' the de-confound model alone, 'linear' the linear model alone."]
    return '\n'.join(lines) + '\n'


def _grid(values: Sequence[float]) -> str:
    """A grid in words: ``0, 0.1, ..., 3``."""
    shown = [f'{value:g}' for value in values]
    return ', '.join(shown if len(shown) <= 3 else [*shown[:2], '...', shown[-1]])


def _shown(path: str) -> str:
    """``path`` relative to the repository when it is inside it."""
    relative = osp.relpath(osp.abspath(path), ROOT)
    return path if relative.startswith('..') else relative


def _mean_max(detail: dict, key: str):
    values = [e[key] for e in detail['estimates']]
    return float(np.mean(values)), float(np.max(values))


def _min_max(detail: dict, key: str):
    values = [e[key] for e in detail['estimates']]
    return float(np.min(values)), float(np.max(values))


def plot(priors: Dict[str, dict], path: str) -> None:
    """Top-1 of every row against the test prior, from forward 100 to backward 100."""
    from matplotlib.figure import Figure  # only plotting needs matplotlib
    figure = Figure(figsize=(8, 4.5), tight_layout=True)
    axes = figure.add_subplot()
    names = list(priors)
    for row in ROWS:
        axes.plot(range(len(names)), [priors[name][row] for name in names], marker='o',
                  linestyle='--' if row == 'chosen' else '-', label=row)
    axes.set_xticks(range(len(names)), [name.replace('-', '\n') for name in names])
    axes.set(xlabel='test prior (imbalance of the test classes)', ylabel='top-1 on test (%)',
             title='expected top-1 under the test class prior')
    axes.legend(fontsize='small')
    figure.savefig(path, dpi=100)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', help="data root of the configs' datasets (default: the "
                        "configs'; for configs/cifar10_jpg_lt the CIFAR-10 training images, one "
                        'folder per class)')
    for model in MODELS:
        parser.add_argument(f'--{model}', nargs=2, metavar=('CONFIG', 'CHECKPOINT'),
                            help=f'the {model} model (default: the published one, '
                            f'{DEFAULTS[model][0]} {DEFAULTS[model][1]}-*.pth)')
    parser.add_argument('--alphas', type=grid_argument, default='0:3:0.1',
                        help="TDE's alphas to choose from, from 0 (default: 0:3:0.1)")
    parser.add_argument('--ts', type=grid_argument, default='0:3:0.1',
                        help="t of logit adjustment towards the target, from 0 (default: 0:3:0.1)")
    parser.add_argument('--draws', type=int, default=10,
                        help='unlabelled test sets drawn per prior for the EM estimate (default: '
                        '10)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the draws (default: 0)')
    parser.add_argument('--work-dir', help='cache of the forward passes (default: '
                        'work_dirs/test_prior_shift[_smoke])')
    parser.add_argument('--out', help='results (default: benchmarks/results; smoke: the work '
                        'directory)')
    parser.add_argument('--smoke', action='store_true',
                        help='a dry run in a minute: the tiny held-out subset of '
                        'tiny_data_options (25 val and 25 test images per class), coarse grids, '
                        '2 draws')
    args = parser.parse_args(argv)
    for flag, grid in (('--alphas', args.alphas), ('--ts', args.ts)):
        if grid[0] != 0:
            parser.error(f'argument {flag}: the grid must start at 0 (no correction), got '
                         f'{grid[0]:g}')
    if args.draws < 1:
        parser.error(f'argument --draws: must be >= 1, got {args.draws}')
    if args.data is not None and not osp.isdir(args.data):
        parser.error(f'argument --data: {args.data} is not a folder')
    for model in MODELS:
        if getattr(args, model) is None:
            config, stem = DEFAULTS[model]
            try:
                checkpoint = published_checkpoint(osp.join(ROOT, stem))
            except FileNotFoundError as error:
                parser.error(f'argument --{model}: {error}; give --{model} CONFIG CHECKPOINT')
            setattr(args, model, [osp.join(ROOT, config), checkpoint])
    if args.smoke:
        args.alphas, args.ts, args.draws = [0.0, 1.0, 2.0], [0.0, 1.0, 2.0], 2
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    work_dir = args.work_dir or osp.join('work_dirs', 'test_prior_shift' + '_smoke' * args.smoke)
    out = args.out or (work_dir if args.smoke else osp.join(ROOT, 'benchmarks', 'results'))
    os.makedirs(work_dir, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    models = {model: getattr(args, model) for model in MODELS}
    options = dict(data_root_options(models['deconfound'][0], osp.abspath(args.data))
                   if args.data else {}, **(tiny_data_options() if args.smoke else {}))
    loaded = forward(models, options or None, work_dir)
    terms, counts = loaded['terms'], loaded['counts']
    temperature = fit_temperature(terms['linear']['val']['z'], terms['linear']['val']['gt'],
                                  counts)
    details = {name: score_prior(terms, counts, exponential_prior(len(counts), ratio, reverse),
                                 args.alphas, args.ts, args.draws, args.seed, temperature)
               for name, (ratio, reverse) in PRIORS.items()}
    # the data folder is the reader's own
    given = ['--data=DIR' if arg.startswith('--data=') else arg
             for arg in (sys.argv[1:] if argv is None else argv)]
    if '--data' in given:
        given[given.index('--data') + 1] = 'DIR'
    command = ' '.join(['python benchmarks/prior_shift.py', *map(shlex.quote, given)])
    result = dict(
        priors={name: detail['rows'] for name, detail in details.items()},
        details={name: {key: value for key, value in detail.items() if key != 'rows'}
                 for name, detail in details.items()},
        setup=dict(command=command, **{model: [_shown(path) for path in models[model]]
                                       for model in MODELS},
                   alphas=args.alphas, ts=args.ts, draws=args.draws, seed=args.seed,
                   temperature=temperature,
                   train_class_counts=counts, classes=loaded['classes'],
                   images={split: len(terms['deconfound'][split]['gt']) for split in SPLITS},
                   device=torch.cuda.get_device_name() if torch.cuda.is_available() else
                   f'{os.cpu_count()} CPU cores ({platform.machine()})',
                   torch=torch.__version__))
    with open(osp.join(out, 'test_prior_shift.json'), 'w') as f:
        json.dump(result, f, indent=1)
    with open(osp.join(out, 'test_prior_shift.md'), 'w') as f:
        f.write(markdown(result))
    plot(result['priors'], osp.join(out, 'test_prior_shift.png'))
    print(markdown(result))
    print(f'wrote test_prior_shift.json, .md and .png to {out}')
    return result


if __name__ == '__main__':
    main()
