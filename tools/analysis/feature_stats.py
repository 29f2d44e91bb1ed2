"""Feature and weight statistics from head to tail (paper Fig. 1b and Fig. 6) of a checkpoint.

    python tools/analysis/feature_stats.py CONFIG CHECKPOINT [--split {val,test}] [--out DIR]
        [--cfg-options KEY=VALUE ...]

One forward pass of the split (default ``val``) to the classifier input x of ``model.head`` (a
``TDEClsHead``, any classifier, trained with ``HeadDirectionHook``) gives, with classes ranked
by their training images (head first; ties keep the class order) and grouped many / medium /
few-shot by the thresholds of the split's ``LongTailAccuracy``:

- ``feature_norms.png``: per class, the mean ||x|| over its samples of the split (Fig. 1b);
- ``weight_norms.png``: per class, the classifier weight norm ||w_i|| over all C channels (Fig. 6);
- ``cos_head_direction.png``: for each channel group k of the K heads, the histogram of
  cos(x_k, d_k) (Eq. 8's cosine with the head direction d), one curve per frequency group;
- ``feature_stats.json``: ``alpha`` (the config's), ``classes`` (per class, head to tail:
  ``class``, ``name``, ``train_count``, ``group``, ``samples``, ``mean_feature_norm`` and
  ``accuracy`` (top-1 in % of the model as configured, TDE when ``alpha`` > 0; null without
  samples), ``weight_norm``, ``direction_logits``: per channel group k the logit that TDE
  removes from class i per unit ``alpha * cos(x_k, d_k)``, ``(tau/K) w_ik.d_k / (||w_ik|| +
  gamma)`` for de-confound with d_k the unit head direction, and ``mean_removal``: the logit
  TDE removes from class i per unit alpha, averaged over the split's samples (both
  :func:`mmcausal.apis.analysis.class_removal`; null for a linear classifier)),
  ``cos_bin_edges`` and ``cos_to_head_direction`` (per channel group k and frequency group:
  ``samples``, ``mean``, ``counts`` over the bins).

Written to ``--out`` (default ``work_dirs/CONFIG_NAME``). Example, on the demo's digits::

    python tools/analysis/feature_stats.py \\
        configs/digits_lt/deconfound_resnet8_1xb32-30e_digits-lt-r100.py \\
        work_dirs/demo/deconfound/epoch_30.pth --split test
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from mmengine.config import DictAction

from mmcausal.apis import SPLITS, default_work_dir, head_features, load_for_analysis
from mmcausal.apis.analysis import class_removal, head_to_tail
from mmcausal.causal import split_groups
from mmcausal.evaluation import GROUP_COLORS, GROUPS, LongTailAccuracy, class_accuracy

COS_BINS = 200  # over [-1, 1], 0.01 wide


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Per-class feature and weight statistics')
    parser.add_argument('config', help='config file of the model and the split')
    parser.add_argument('checkpoint', help='checkpoint file (trained with HeadDirectionHook)')
    parser.add_argument('--split', choices=SPLITS, default='val',
                        help='split whose features are measured (default: val)')
    parser.add_argument('--out', help='output directory (default: work_dirs/CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. val_dataloader.batch_size=64')
    return parser.parse_args(argv)


def frequency_groups(metric: LongTailAccuracy, num_classes: int) -> Tuple[List[str], List[int]]:
    """Per class its group (``'many' | 'medium' | 'few'``) and its training count, from the counts
    and thresholds the split's metric scores with."""
    counts = metric.class_counts()
    if len(counts) != num_classes:
        raise ValueError(f'train_class_counts has {len(counts)} classes but model.head has '
                         f'num_classes={num_classes}; check that CONFIG matches CHECKPOINT')
    return metric.class_group_names(counts, metric.thresholds), [int(n) for n in counts]


def per_class_mean(values: torch.Tensor, labels: torch.Tensor,
                   num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Mean of ``values`` (N,) over the samples of each class (NaN without samples), and the
    sample counts, each (num_classes,)."""
    samples = np.bincount(labels.cpu().numpy(), minlength=num_classes)
    sums = np.bincount(labels.cpu().numpy(), weights=values.cpu().double().numpy(),
                       minlength=num_classes)
    with np.errstate(invalid='ignore'):
        return sums / samples, samples


def cos_to_head_direction(features: torch.Tensor, direction: torch.Tensor,
                          num_heads: int) -> torch.Tensor:
    """cos(x_k, d_k) of every sample and channel group: (N, C), (C,) -> (N, K)."""
    return F.cosine_similarity(split_groups(features, num_heads),
                               split_groups(direction, num_heads), dim=-1)


def bar_plot(values: np.ndarray, groups: List[str], ylabel: str, title: str, path: str) -> None:
    """One bar per class in the given (head-to-tail) order, coloured by frequency group."""
    figure = Figure(figsize=(7, 3.5), tight_layout=True)
    axes = figure.add_subplot()
    axes.bar(np.arange(len(values)), values, width=0.8, color=[GROUP_COLORS[g] for g in groups])
    axes.set(xlabel='class i, ranked by training images (head to tail)', ylabel=ylabel,
             title=title)
    axes.legend(handles=[Patch(color=GROUP_COLORS[g], label=g) for g in GROUPS if g in groups])
    figure.savefig(path, dpi=100)


def cos_plot(histograms: List[Dict], bin_edges: np.ndarray, path: str) -> None:
    """One panel per channel group k: the density of cos(x_k, d_k) per frequency group, on the
    range of the occupied bins."""
    num_heads = 1 + max(h['channel_group'] for h in histograms)
    occupied = np.flatnonzero(np.sum([h['counts'] for h in histograms], axis=0))
    xlim = (max(-1.0, bin_edges[occupied[0]] - 0.05), min(1.0, bin_edges[occupied[-1] + 1] + 0.05))
    figure = Figure(figsize=(4 * num_heads, 3.2), tight_layout=True)
    for k, axes in enumerate(figure.subplots(1, num_heads, squeeze=False)[0]):
        for h in histograms:
            if h['channel_group'] == k and h['samples']:
                axes.stairs(np.asarray(h['counts']) / h['samples'], bin_edges,
                            color=GROUP_COLORS[h['group']],
                            label=f'{h["group"]} (mean {h["mean"]:.2f})')
        axes.set(xlabel=f'cos(x_{k}, d_{k})', ylabel='fraction of samples', xlim=xlim,
                 title=f'channel group k={k}')
        axes.legend()
    figure.savefig(path, dpi=100)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Measure the command line ``argv``'s checkpoint; returns what ``feature_stats.json``
    holds."""
    args = parse_args(argv)
    out = args.out or default_work_dir(args.config)
    model, dataloader, metric = load_for_analysis(args.config, args.checkpoint, args.split,
                                                  args.cfg_options, tde=False)
    classifier = model.head.classifier
    groups, train_counts = frequency_groups(metric, classifier.num_classes)
    features, labels = head_features(model, dataloader)
    with torch.no_grad():
        feature_norms, samples = per_class_mean(features.norm(dim=1), labels, len(groups))
        weight_norms = classifier.weight.norm(dim=1).cpu().numpy()
        cos = cos_to_head_direction(features, classifier.direction.vector,
                                    classifier.num_heads).cpu().numpy()
        accuracies = class_accuracy(classifier(features).argmax(dim=1), labels, len(groups))
    removal = None if classifier.is_linear else class_removal(classifier, features)

    order = head_to_tail(train_counts)
    names = dataloader.dataset.metainfo.get('classes') or [str(i) for i in range(len(groups))]
    classes = [{'class': int(i), 'name': names[i], 'train_count': train_counts[i],
                'group': groups[i], 'samples': int(samples[i]),
                'mean_feature_norm': None if samples[i] == 0 else float(feature_norms[i]),
                'weight_norm': float(weight_norms[i]),
                'accuracy': None if samples[i] == 0 else float(accuracies[i]),
                'direction_logits': None if removal is None else removal.per_group[i].tolist(),
                'mean_removal': None if removal is None else float(removal.mean[i])}
               for i in order]
    sample_groups = np.asarray(groups)[labels.cpu().numpy()]
    bin_edges = np.linspace(-1, 1, COS_BINS + 1)
    histograms = []
    for k in range(classifier.num_heads):
        for group in GROUPS:
            values = cos[sample_groups == group, k]
            histograms.append(dict(channel_group=k, group=group, samples=int(values.size),
                                   mean=float(values.mean()) if values.size else None,
                                   counts=np.histogram(values, bin_edges)[0].tolist()))

    summary = dict(config=args.config, checkpoint=args.checkpoint, split=args.split,
                   num_heads=classifier.num_heads, alpha=classifier.alpha, classes=classes,
                   cos_bin_edges=bin_edges.tolist(), cos_to_head_direction=histograms)
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'feature_stats.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    ranked_groups = [groups[i] for i in order]
    bar_plot(feature_norms[order], ranked_groups, 'mean ||x||',
             f'Mean feature magnitude per class ({args.split} split)',
             osp.join(out, 'feature_norms.png'))
    bar_plot(weight_norms[order], ranked_groups, '||w_i||', 'Classifier weight norm per class',
             osp.join(out, 'weight_norms.png'))
    cos_plot(histograms, bin_edges, osp.join(out, 'cos_head_direction.png'))
    print(f'\nper class, head to tail ({args.split} split, alpha={classifier.alpha:g}): '
          'training images, top-1 %, the logit TDE removes per unit alpha (mean over the '
          'split), and per unit alpha * cos(x_k, d_k) of each channel group k')
    for c in classes:
        accuracy = '-' if c['accuracy'] is None else f'{c["accuracy"]:.1f}'
        removal = '-' if c['mean_removal'] is None else f'{c["mean_removal"]:+.2f}'
        logits = '-' if c['direction_logits'] is None else ' '.join(
            f'{b:+.2f}' for b in c['direction_logits'])
        print(f'  {c["name"]:>12} {c["train_count"]:>7} {accuracy:>6} {removal:>6}  {logits}')
    print(f'wrote feature_stats.json, feature_norms.png, weight_norms.png and '
          f'cos_head_direction.png to {out}')
    return summary


if __name__ == '__main__':
    main()
