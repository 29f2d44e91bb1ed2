"""Images per class of a config's dataset, its imbalance and its many / medium / few classes.

    python tools/analysis/dataset_stats.py CONFIG [--split {train,val,test}] [--out DIR]
        [--cfg-options KEY=VALUE ...]

Counts the labels of ``{split}_dataloader.dataset`` (default ``train``) without reading any
image (``get_data_info``, as :class:`TrainClassCountsHook` does) and prints one line per class,
head to tail, then the imbalance ratio (most / fewest images of a class) and the classes of each
frequency group. The groups are those :class:`LongTailAccuracy` scores: by training images per
class (its ``train_class_counts=[...]`` if the config gives them, else the images of
``train_dataloader``'s dataset) and the thresholds of the config's ``LongTailAccuracy`` (of the
split's evaluator, else val's, else test's; else the defaults, many > 100 and few < 20). For
``--split val`` or ``test`` the training count of each class is listed beside its count. Writes
to ``--out`` (default ``work_dirs/CONFIG_NAME``):

- ``dataset_stats_{split}.json``: ``num_images``, ``num_classes``, ``imbalance_ratio`` (null if a
  class has no image), ``thresholds``, ``groups`` (per group its class names) and ``classes``
  (head to tail: ``class``, ``name``, ``images``, ``train_images``, ``group``);
- ``dataset_stats_{split}.png``: the histogram of images per class, head to tail, coloured by
  group, on a log scale.

Example, on your own folders (docs/own_data.md)::

    python tools/analysis/dataset_stats.py \\
        configs/custom/deconfound_resnet50_8xb64-coslr-90e_custom-folder.py --split train
"""
import argparse
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from mmengine.config import Config, DictAction
from mmengine.registry import DATASETS, init_default_scope
from mmpretrain.registry import METRICS

from mmcausal.apis import default_work_dir
from mmcausal.datasets import class_counts, train_set_counts
from mmcausal.evaluation import GROUP_COLORS, GROUPS, LongTailAccuracy, group_rules

SPLITS = ('train', 'val', 'test')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Images per class of a dataset split')
    parser.add_argument('config', help='config file of the dataset')
    parser.add_argument('--split', choices=SPLITS, default='train',
                        help='split to count (default: train)')
    parser.add_argument('--out', help='output directory (default: work_dirs/CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_dataloader.dataset.data_root=X')
    return parser.parse_args(argv)


def split_counts(cfg: Config, split: str) -> Tuple[List[int], List[str]]:
    """Images per class of ``cfg.{split}_dataloader.dataset`` and the class names."""
    loader = cfg.get(f'{split}_dataloader')
    if loader is None or loader.get('dataset') is None:
        raise ValueError(f'--split {split}: the config has no {split}_dataloader.dataset; '
                         'choose a split it defines')
    dataset = DATASETS.build(loader['dataset'])
    counts = class_counts(dataset)
    classes = dataset.metainfo.get('classes') or [str(c) for c in range(len(counts))]
    return counts, list(classes)


def long_tail_metric(cfg: Config, split: str) -> LongTailAccuracy:
    """The first LongTailAccuracy of the split's, val's or test's evaluator, else the default."""
    for name in dict.fromkeys((f'{split}_evaluator', 'val_evaluator', 'test_evaluator')):
        evaluator = cfg.get(name)
        for metric in evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]:
            if metric is not None and metric.get('type') in ('LongTailAccuracy', LongTailAccuracy):
                return METRICS.build(metric)
    return LongTailAccuracy()


def training_counts(cfg: Config, split: str, counts: List[int], classes: List[str],
                    metric: LongTailAccuracy) -> Optional[List[int]]:
    """The training images per class ``metric`` groups by: its ``train_class_counts=[...]``, else
    the split's own (``--split train``), else ``train_dataloader``'s; None without any."""
    if metric.train_class_counts is None and split != 'train':
        if cfg.get('train_dataloader') is None:
            return None
        metric.dataset_meta = dict(classes=classes)  # checks the training set's classes
        metric.set_train_class_counts(*train_set_counts(cfg.train_dataloader))
    train_counts = list(metric.train_class_counts or counts)
    if len(train_counts) != len(counts):
        raise ValueError(f'train_class_counts has {len(train_counts)} classes, the {split} split '
                         f'{len(counts)}; give one count per class')
    return train_counts


def class_rows(counts: List[int], classes: List[str], train_counts: Optional[List[int]],
               thresholds: Tuple[int, int]) -> List[dict]:
    """Per class, head to tail (most training images first, ties in class order): ``class``,
    ``name``, ``images``, ``train_images`` and ``group`` (None without training counts)."""
    groups = ([None] * len(counts) if train_counts is None
              else LongTailAccuracy.class_group_names(train_counts, thresholds))
    order = np.argsort([-n for n in (train_counts or counts)], kind='stable')
    return [{'class': int(c), 'name': classes[c], 'images': counts[c],
             'train_images': None if train_counts is None else train_counts[c],
             'group': groups[c]} for c in order]


def format_table(rows: List[dict], train_column: bool) -> str:
    """One line per class: index, name, images (and training images), group."""
    lines = [f'  {"class":>5s}  {"name":<24s}{"images":>8s}' + ('   train' if train_column else '')
             + '  group']
    for row in rows:
        train = f'{row["train_images"]:8d}' if train_column else ''
        lines.append(f'  {row["class"]:5d}  {row["name"]:<24.24s}{row["images"]:8d}{train}  '
                     f'{row["group"] or "-"}')
    return '\n'.join(lines)


def plot(rows: List[dict], title: str, path: str) -> None:
    """Bars of images per class, head to tail, coloured by group (grey without one), log scale."""
    figure = Figure(figsize=(max(6, 0.12 * len(rows)), 4), tight_layout=True)
    axes = figure.add_subplot()
    axes.bar(range(len(rows)), [row['images'] for row in rows],
             color=[GROUP_COLORS.get(row['group'], 'tab:grey') for row in rows])
    axes.set_yscale('log')
    axes.set_ylim(bottom=0.5)  # a class of one image shows
    axes.set(xlabel='class, head to tail', ylabel='images', title=title)
    if len(rows) <= 40:
        axes.set_xticks(range(len(rows)), [row['name'] for row in rows], rotation=90)
    groups = [group for group in GROUPS if any(row['group'] == group for row in rows)]
    if groups:
        axes.legend(handles=[Patch(color=GROUP_COLORS[group], label=group) for group in groups])
    figure.savefig(path, dpi=100)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Count the split of the command line ``argv``; returns what the JSON file holds."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    counts, classes = split_counts(cfg, args.split)
    metric = long_tail_metric(cfg, args.split)
    train_counts = training_counts(cfg, args.split, counts, classes, metric)
    rows = class_rows(counts, classes, train_counts, metric.thresholds)
    ratio = max(counts) / min(counts) if min(counts) > 0 else None
    many_thr, few_thr = metric.thresholds
    groups = None if train_counts is None else {
        group: [row['name'] for row in rows if row['group'] == group] for group in GROUPS}

    print(f'\n{args.split} split of {args.config}: {sum(counts)} images, {len(counts)} classes, '
          'head to tail:')
    print(format_table(rows, args.split != 'train' and train_counts is not None))
    print('imbalance ratio (most / fewest images): '
          + (f'{ratio:.2f}' if ratio else 'undefined, classes without images: '
             + str([row['name'] for row in rows if row['images'] == 0])))
    if groups is None:
        print('groups: unknown, the config has no train_dataloader and no train_class_counts')
    else:
        for group, rule in group_rules(metric.thresholds).items():
            print(f'{group:>6s} ({rule} training images): {len(groups[group])} classes '
                  f'{groups[group]}')

    summary = dict(config=args.config, split=args.split, num_images=sum(counts),
                   num_classes=len(counts), imbalance_ratio=ratio,
                   thresholds=dict(many_shot_thr=many_thr, few_shot_thr=few_thr), groups=groups,
                   classes=rows)
    out = args.out or default_work_dir(args.config)
    os.makedirs(out, exist_ok=True)
    path = osp.join(out, f'dataset_stats_{args.split}')
    with open(f'{path}.json', 'w') as f:
        json.dump(summary, f, indent=2)
    plot(rows, f'images per class, {args.split} split', f'{path}.png')
    print(f'wrote {path}.json and {path}.png')
    return summary


if __name__ == '__main__':
    main()
