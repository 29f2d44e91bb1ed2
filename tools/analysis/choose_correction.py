"""Which post-hoc correction fits your data: TDE (and its alpha), or logit adjustment (its t).

    python tools/analysis/choose_correction.py CONFIG CHECKPOINT
        [--linear LINEAR_CONFIG LINEAR_CHECKPOINT] [--split {val,test}] [--alphas 0:3:0.1]
        [--ts 0:2:0.1] [--select {overall,few,balanced}]
        [--target-prior {balanced,train,FILE} | --estimate-prior DIR] [--out DIR]
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

When the data you deploy on does not follow the split's class prior (e.g. it is long-tailed like
the training set while val is balanced), choose for the deployment's prior q:

- ``--target-prior balanced|train|FILE``: every alpha and t is scored by the top-1 a test set
  drawn with q scores in expectation, ``sum_y q_y acc_y`` on the split
  (:class:`~mmcausal.evaluation.PriorWeightedAccuracy`, the ``overall`` column), and logit
  adjustment goes towards q: ``z - t log p + t log q`` (t = 0: the linear model). FILE holds one
  weight per class in class order (e.g. the images per class you expect). The printed command
  adds ``test_evaluator.type=PriorWeightedAccuracy test_evaluator.target_prior=...``, so that
  ``tools/test.py`` reports the same accuracy under q;
- ``--estimate-prior DIR``: q unknown, estimated from the unlabelled images under DIR (any
  layout, searched recursively, read with the test pipeline) by EM (Saerens et al. 2002) on the
  uncorrected model's probabilities ``softmax(z / T)`` (the linear model's with ``--linear``,
  else the de-confound model's ``z``), T calibrated on the labelled split
  (:func:`~mmcausal.evaluation.fit_temperature`); the estimate goes to
  ``OUT/estimated_prior.txt``, a FILE for ``--target-prior``, and the choice is made for it.
  Where DIR holds one folder per class, named as the classes, the tool also prints the
  estimate's total variation to their shares.

``choose_correction.json`` in ``--out`` (default ``work_dirs/CONFIG_NAME``) holds both sweeps,
the split, the criterion, the target prior and the recommendation with its command.
"""
import argparse
import json
import os
import os.path as osp
import shlex
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.apis import get_model

from mmcausal.apis import SPLITS, SplitTerms, default_work_dir, split_terms
from mmcausal.apis.arguments import SELECT_HELP, grid_argument
from mmcausal.evaluation.alpha_sweep import (DEFAULT_SELECT, SELECT_CRITERIA, best_alpha_index,
                                             choose_correction, format_sweep, sweep_alphas)
from mmcausal.evaluation.logit_adjustment import adjusted_logits
from mmcausal.evaluation.prior_shift import (TARGET_PRIOR_HELP, TARGET_PRIORS, adjusted_towards,
                                             correction_sweeps, estimate_prior, fit_temperature,
                                             target_prior, total_variation)

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
    deployment = parser.add_mutually_exclusive_group()
    deployment.add_argument('--target-prior', type=target_argument,
                            help='the class prior of the data you deploy on: '
                            f'{TARGET_PRIOR_HELP}; alpha and t are then chosen by the top-1 '
                            'expected under it, and logit adjustment goes towards it (default: '
                            "the split's own top-1)")
    deployment.add_argument('--estimate-prior', metavar='DIR',
                            help='estimate the target prior from the unlabelled images under DIR '
                            "by EM on the uncorrected model's probabilities, and choose for it")
    parser.add_argument('--out', help='output directory (default: work_dirs/CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptions,
                        help='override settings of both configs, e.g. '
                        'val_dataloader.batch_size=64; the printed tools/test.py command repeats '
                        'them')
    args = parser.parse_args(argv)
    if args.estimate_prior is not None and not osp.isdir(args.estimate_prior):
        parser.error(f'argument --estimate-prior: {args.estimate_prior} is not a folder; give '
                     'the folder of your unlabelled deployment images')
    for flag, grid in (('--alphas', args.alphas), ('--ts', args.ts)):
        if grid[0] != 0:
            parser.error(f'argument {flag}: the grid must start at 0 (the model without the '
                         f'correction, to compare with), e.g. 0:3:0.1; got {grid[0]:g}')
    return args


def target_argument(text: str) -> str:
    """``--target-prior``: a name of ``TARGET_PRIORS`` or an existing file."""
    if text not in TARGET_PRIORS and not osp.isfile(text):
        raise argparse.ArgumentTypeError(f'{text!r} is neither one of {TARGET_PRIORS} nor a '
                                         f'file; give {TARGET_PRIOR_HELP}')
    return text


def write_logit_adjusted(checkpoint: str, t: float, train_class_counts: Sequence[int],
                         path: str, prior: Optional[Sequence[float]] = None) -> None:
    """Save ``checkpoint`` of a linear model with logit adjustment in its bias,
    ``b - t log p``, so that it predicts ``argmax W x + b - t log p``; towards a target
    ``prior`` q, ``b - t log p + t log q``."""
    saved = torch.load(checkpoint, map_location='cpu', weights_only=True)
    weights = saved['state_dict']
    weights[BIAS] = (adjusted_logits(weights[BIAS], train_class_counts, t) if prior is None else
                     adjusted_towards(weights[BIAS], train_class_counts, prior, t))
    torch.save(saved, path)


@torch.no_grad()
def unlabelled_logits(config: str, checkpoint: str, folder: str,
                      cfg_options: Optional[dict]) -> Tuple[torch.Tensor, List[str]]:
    """The uncorrected logits (N, M) of a model (a linear model's, or the de-confounded ``z``)
    on every image under ``folder``, read by mmpretrain's ``CustomDataset``
    (``with_label=False``) with the pipeline of the config's test set, and the images' paths
    relative to ``folder``, in the same order."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader = cfg.test_dataloader.to_dict()
    source = loader['dataset']
    while 'dataset' in source:
        source = source['dataset']
    pipeline = list(source['pipeline'])
    if pipeline[0]['type'] != 'LoadImageFromFile':  # a source of arrays, e.g. CIFAR10
        pipeline.insert(0, dict(type='LoadImageFromFile'))
    loader['dataset'] = dict(type='CustomDataset', data_root=folder, data_prefix='',
                             with_label=False, pipeline=pipeline)
    dataloader = Runner.build_dataloader(loader)
    model = get_model(cfg, checkpoint, device='cuda' if torch.cuda.is_available() else 'cpu')
    classifier = model.head.classifier
    logits = []
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        features = model.head.pre_logits(model.extract_feat(data['inputs']))
        logits.append((classifier(features) if classifier.is_linear else
                       classifier.logit_terms(features)[0]).cpu())
    dataset = dataloader.dataset
    paths = [osp.relpath(dataset.get_data_info(i)['img_path'], folder)
             for i in range(len(dataset))]
    return torch.cat(logits), paths


def folder_shares(paths: Sequence[str], classes: Sequence[str]) -> Optional[np.ndarray]:
    """Each class's share of ``paths`` when every path lies in a folder named as a class
    (``<class>/...``), else None."""
    folders = [path.split(os.sep)[0] for path in paths]
    if not classes or any(folder not in classes or folder == path
                          for folder, path in zip(folders, paths)):
        return None
    counts = np.array([folders.count(name) for name in classes], dtype=np.float64)
    return counts / counts.sum()


def estimated_target(args: argparse.Namespace, out: str, labelled: SplitTerms,
                     classes: Sequence[str]) -> dict:
    """``--estimate-prior``: the EM estimate from the images of ``args.estimate_prior`` on the
    model whose terms on the labelled split are ``labelled`` (their z calibrate the temperature),
    written to ``out/estimated_prior.txt`` (one weight per line, the class as a comment)."""
    model = args.linear or [args.config, args.checkpoint]
    counts = labelled.metric.class_counts()
    temperature = fit_temperature(labelled.z, labelled.gt, counts)
    logits, paths = unlabelled_logits(*model, args.estimate_prior, args.cfg_options)
    prior, iterations = estimate_prior(torch.softmax(logits.double() / temperature, dim=1),
                                       counts)
    path = osp.join(out, 'estimated_prior.txt')
    names = classes or [str(i) for i in range(len(prior))]
    with open(path, 'w') as f:
        f.write(f'# estimated by EM from the {len(paths)} images under {args.estimate_prior}\n')
        f.writelines(f'{weight:.8f}  # {name}\n' for weight, name in zip(prior, names))
    print(f'\nestimated the target prior from {len(paths)} unlabelled images (EM, {iterations} '
          f'iterations, softmax(z / {temperature:.3f}) of {model[1]}, the temperature fitted on '
          f'the {args.split} split): ' +
          ', '.join(f'{name} {weight:.3f}' for name, weight in zip(names, prior)))
    print(f'wrote {path}')
    estimate = dict(folder=args.estimate_prior, images=len(paths), temperature=temperature,
                    iterations=iterations, prior=prior.tolist(), file=path)
    shares = folder_shares(paths, classes)
    if shares is not None:
        estimate['total_variation'] = total_variation(prior, shares)
        print(f'the images lie in class folders: total variation of the estimate to their '
              f"shares {estimate['total_variation']:.4f}")
    return estimate


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the choice of the command line ``argv``; returns what ``choose_correction.json``
    holds."""
    args = parse_args(argv)
    out = args.out or default_work_dir(args.config)
    os.makedirs(out, exist_ok=True)
    terms = split_terms(args.config, args.checkpoint, args.split, args.cfg_options)
    linear = split_terms(*args.linear, args.split, args.cfg_options, linear=True) \
        if args.linear else None
    counts = terms.metric.class_counts()
    estimate, target = None, args.target_prior
    if args.estimate_prior is not None:
        estimate = estimated_target(args, out, linear or terms,
                                    (terms.metric.dataset_meta or {}).get('classes') or [])
        target = estimate['file']
    if target is None:
        sweeps = dict(tde=sweep_alphas(terms.z, terms.c, terms.gt, args.alphas, terms.metric))
        if linear is not None:
            sweeps['logit_adjustment'] = sweep_alphas(linear.z, linear.c, linear.gt, args.ts,
                                                      linear.metric)
        scored, towards = 'LongTailAccuracy (%)', 'z - t log p'
    else:
        try:
            prior = target_prior(target, counts)
        except ValueError as error:
            raise ValueError(f'--target-prior {target}: {error}') from None
        sweeps = correction_sweeps((terms.z, terms.c, terms.gt),
                                   None if linear is None else (linear.z, linear.gt),
                                   terms.metric, prior, args.alphas, args.ts)
        scored = f'PriorWeightedAccuracy (%), overall: the top-1 expected under {target}'
        towards = f'z - t log p + t log q, q = {target}'
    print(f'\nTDE of the de-confound model: {scored}, on the {args.split} split of '
          f'{len(terms.gt)} samples')
    print(format_sweep(sweeps['tde'], best_alpha_index(sweeps['tde'], args.select)))
    if linear is not None:
        print(f'\nlogit adjustment of the linear model ({towards}):')
        print(format_sweep(sweeps['logit_adjustment'],
                           best_alpha_index(sweeps['logit_adjustment'], args.select), 't'))

    choice = choose_correction(sweeps['tde'], sweeps.get('logit_adjustment'), args.select)
    value = choice['value']
    options = [args.cfg_options_text] if args.cfg_options else []
    if choice['correction'] == 'logit_adjustment':
        adjusted = osp.join(out, f'logit_adjusted_t{value:g}.pth')
        write_logit_adjusted(args.linear[1], value, counts, adjusted,
                             None if target is None else prior)
        print(f'\nwrote {adjusted}: the linear checkpoint with its bias b - {value:g} log p' +
              ('' if target is None else f' + {value:g} log q'))
        tested = [args.linear[0], adjusted]
    elif choice['correction'] == 'linear':
        tested = args.linear
    else:
        tested = [args.config, args.checkpoint]
        options.append(f'model.head.alpha={value!r}')
    if target is not None:  # tools/test.py reports the accuracy under the target prior
        options += ['test_evaluator.type=PriorWeightedAccuracy',
                    f'test_evaluator.target_prior={shlex.quote(target)}']
    command = ' '.join(['python tools/test.py', *tested,
                        *(['--cfg-options', *options] if options else [])])
    advice = {'tde': f'TDE with alpha = {value:g}',
              'deconfound': 'alpha = 0, the de-confound model alone (no alpha > 0 of the grid '
                            'scores higher)',
              'logit_adjustment': f'logit adjustment of the linear model with t = {value:g}' +
                                  ('' if target is None else f' towards {target}'),
              'linear': 'the linear model as trained (t = 0: neither correction helps)'}
    under = '' if target is None else f' under the target prior {target}'
    print(f'\nrecommended, by {args.select} accuracy on the {args.split} split{under} '
          f'({choice["score"]:.2f} %): {advice[choice["correction"]]}')
    print(f'test it: {command}')

    summary = dict(config=args.config, checkpoint=args.checkpoint, linear=args.linear,
                   split=args.split, select=args.select, target_prior=target,
                   estimated_prior=estimate, tde=sweeps['tde'],
                   logit_adjustment=sweeps.get('logit_adjustment'),
                   recommendation=dict(choice, command=command))
    with open(osp.join(out, 'choose_correction.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'wrote {osp.join(out, "choose_correction.json")}')
    return summary


if __name__ == '__main__':
    main()
