"""What TDE removes from each class, set against the training frequencies, on one checkpoint.

    python tools/analysis/tde_correction_shape.py CONFIG CHECKPOINT [--data DIR]
        [--split {val,test}] [--alpha 1.0] [--grid 0:3:0.25] [--out FILE]

Why TDE gains on one long-tailed dataset and loses on another (README, Results). For a
de-confound checkpoint (trained with ``HeadDirectionHook``), one forward pass of the split gives
TDE's two terms, ``TDE(alpha) = z - alpha * c`` (Eq. 8): ``c_i = sum_k cos(x_k, d_k) (tau/K)
w_ik.d_k / (||w_ik|| + gamma)`` is the logit TDE takes from class i per unit alpha, large for
the classes whose weights point along the head direction d
(:func:`mmcausal.apis.analysis.class_removal`). The script prints

- per class, head first: its training images, the mean of ``c_i`` over the split, its top-1 at
  alpha = 0 and at ``--alpha``, and the rank correlation (Spearman) of the mean ``c_i`` with the
  log training frequency: 1 when TDE takes most from the most frequent classes;
- the predictions TDE moves at ``--alpha``, as (class at alpha = 0 -> class at ``--alpha``);
- three corrections of the same logits z over ``--grid``, scored by the split's
  ``LongTailAccuracy``: TDE ``z - v c``; its class-constant part ``z - v mean_n(c)`` (TDE
  without the per-sample cosines); and logit adjustment ``z - v log p`` (Menon et al. 2021),
  the correction shaped exactly like the training frequencies p.

Where logit adjustment of z gains and TDE loses, the de-confound model's bias towards the head
is there to remove, but TDE's removal is not shaped like it. ``--data`` is the data root of the
config's datasets (:func:`mmcausal.apis.data_root_options`); ``--out`` writes all of it as JSON.
"""
import argparse
import json
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmcausal.apis import SPLITS, data_root_options, head_features, load_for_analysis
from mmcausal.apis.analysis import class_removal, head_to_tail
from mmcausal.apis.arguments import grid_argument
from mmcausal.evaluation.alpha_sweep import sweep_alphas
from mmcausal.evaluation.logit_adjustment import log_prior
from mmcausal.evaluation.long_tail_accuracy import class_accuracy

CORRECTIONS = ('tde', 'tde_class_constant', 'logit_adjustment')


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two 1-d arrays without ties."""
    ranks_a, ranks_b = (np.argsort(np.argsort(x)).astype(float) for x in (a, b))
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def moved_predictions(before: torch.Tensor, after: torch.Tensor,
                      most: int = 6) -> List[Dict[str, int]]:
    """The most frequent (class before -> class after) among the predictions that changed."""
    changed = before != after
    pairs, counts = torch.unique(torch.stack([before[changed], after[changed]], 1), dim=0,
                                 return_counts=True)
    order = counts.argsort(descending=True)[:most]
    return [dict(before=int(pairs[i, 0]), after=int(pairs[i, 1]), samples=int(counts[i]))
            for i in order]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="TDE's removal per class against frequency")
    parser.add_argument('config', help='config of the de-confound model and the split')
    parser.add_argument('checkpoint', help='de-confound checkpoint (trained with '
                        'HeadDirectionHook)')
    parser.add_argument('--data', help="data root of the config's datasets (default: the "
                        "config's)")
    parser.add_argument('--split', choices=SPLITS, default='val')
    parser.add_argument('--alpha', type=float, default=1.0,
                        help='the TDE strength of the per-class table (default: 1.0)')
    parser.add_argument('--grid', type=grid_argument, default='0:3:0.25',
                        help='alpha = t of the three corrections (default: 0:3:0.25)')
    parser.add_argument('--out', help='JSON file for everything printed')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    options = data_root_options(args.config, args.data) if args.data else None
    model, dataloader, metric = load_for_analysis(args.config, args.checkpoint, args.split,
                                                  options)
    features, gt = head_features(model, dataloader)
    classifier = model.head.classifier
    with torch.no_grad():
        z, c = (term.double() for term in classifier.logit_terms(features))
    mean_c = class_removal(classifier, features).mean.double()
    train_counts = metric.class_counts()
    counts = np.asarray(train_counts, dtype=float)
    names = metric.dataset_meta.get('classes') or [str(i) for i in range(len(counts))]
    prior = log_prior(train_counts).to(z)
    before, after = z.argmax(1), (z - args.alpha * c).argmax(1)
    accuracy = {v: class_accuracy(p, gt, len(counts)) for v, p in ((0.0, before),
                                                                   (args.alpha, after))}
    result = dict(
        config=args.config, checkpoint=args.checkpoint, split=args.split, alpha=args.alpha,
        classes=[dict(name=names[i], train_count=int(counts[i]), mean_c=float(mean_c[i]),
                      top1_alpha0=float(accuracy[0.0][i]),
                      top1_alpha=float(accuracy[args.alpha][i]))
                 for i in head_to_tail(train_counts)],
        spearman_mean_c_log_frequency=rank_correlation(mean_c.cpu().numpy(), np.log(counts)),
        moved=[dict(m, before=names[m['before']], after=names[m['after']])
               for m in moved_predictions(before, after)],
        sweeps={name: sweep_alphas(z, term.expand_as(z), gt, args.grid, metric)
                for name, term in zip(CORRECTIONS, (c, mean_c[None], prior[None]))})

    print(f'\n{args.split} split, {len(gt)} samples; per class, head first: training images, '
          f'mean logit TDE removes per unit alpha, top-1 (%) at alpha 0 -> {args.alpha:g}')
    for row in result['classes']:
        print(f"{row['name'][:14]:>14} {row['train_count']:6d} {row['mean_c']:7.2f} "
              f"{row['top1_alpha0']:6.1f} -> {row['top1_alpha']:5.1f}")
    print('Spearman(mean removal, log frequency): '
          f"{result['spearman_mean_c_log_frequency']:.2f}")
    print('predictions moved by TDE: ' + ', '.join(
        f"{m['before']} -> {m['after']} ({m['samples']})" for m in result['moved']))
    print('\noverall top-1 (%)  ' + ' '.join(f'{v:6g}' for v in args.grid))
    for name, sweep in result['sweeps'].items():
        print(f'{name:>18} ' + ' '.join(f"{s['overall']:6.2f}" for s in sweep))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
