"""Long-tailed benchmarks on the CPU with a short budget, seeds side by side.

    python benchmarks/long_tail_cpu.py DATASET [--data DIR] [--seeds 0 1 2] [--work-dir DIR]
        [--results DIR] [--precision fp32|bf16] [--smoke]

(``bash benchmarks/cifar10_lt_cpu.sh`` and ``bash benchmarks/fashion_mnist_lt_cpu.sh`` run it.)
``DATASET`` is one of :data:`BENCHMARKS`: for every seed it trains the linear and the de-confound
config of the dataset (8 epochs of one-cycle) and scores the rows of
:mod:`mmcausal.apis.protocol_scoring` (linear, linear + logit adjustment, de-confound,
de-confound-TDE at the paper's alpha = 1 and with alpha chosen on val) on the test split; alpha
and t are chosen on the val split, held out of the training images. It checks the in-memory TDE
row of the first seed against ``Runner.test()`` of the de-confound-TDE config, then writes to
``--results`` (``{name}``: ``cifar10_lt_cpu``, ``fashion_mnist_lt_cpu``):

- ``{name}.json``: ``{"seeds": [...], "rows": {row: {"overall": [per seed], ...}}, ...}``;
- ``{name}.md``: mean +- std per row, per-class top-1 of the first seed, training img/s;
- ``{name}_alpha_sweep.png``: test accuracy against alpha (Fig. 4), mean and min-max over seeds.

``--smoke`` checks the script end to end in minutes (1 epoch on a tiny subset of CIFAR-10; for
Fashion-MNIST ``--smoke`` is the same 1-epoch check on the configs' subset) and writes into the
work directory.
"""
import argparse
import json
import os
import os.path as osp
import platform
import time
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS

from mmcausal.apis import (PRECISIONS, class_accuracy_table, data_root_options, one_epoch_options,
                           precision_options, score_seed, summarize, tiny_run_options, train)
from mmcausal.apis.arguments import parse_alphas
from mmcausal.apis.report import data_line, mean_std, results_table
from mmcausal.datasets import wrapped_datasets
from mmcausal.visualization import plot_sweeps

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ALPHA = 1.0  # the paper's CIFAR-10-LT alpha, the deconfound-tde configs' alpha
# Per dataset: the config of a row, the default data root, its title, and the cfg_options of
# --smoke (CIFAR-10: 1 epoch on a tiny subset; Fashion-MNIST: 1 epoch on the configs' data).
BENCHMARKS = {
    'cifar10': dict(
        config='configs/cifar10_jpg_lt/{row}_resnet32_1xb128-onecycle-8e_cifar10-jpg-lt-r100.py',
        data='data/cifar10-jpg/train', title='CIFAR-10-LT r100',
        data_help='a folder of the CIFAR-10 training images, one folder per class',
        smoke=tiny_run_options),
    'fashion-mnist': dict(
        config='configs/fashion_mnist_lt/{row}_resnet32_1xb128-onecycle-8e_fashion-mnist-lt-r100'
        '.py', data='data/fashion-mnist', title='Fashion-MNIST-LT r100',
        data_help="mmpretrain FashionMNIST's data root (the four extracted idx files; "
        'downloaded there when the machine is online)', smoke=one_epoch_options),
}


def config(dataset: str, row: str) -> str:
    return osp.join(ROOT, BENCHMARKS[dataset]['config'].format(row=row))


def long_tailed(dataset: dict) -> Optional[dict]:
    """The ``LongTailedDataset`` among ``dataset`` and the datasets it wraps, if any."""
    return next((inner for inner in wrapped_datasets(dataset)
                 if inner.get('type') == 'LongTailedDataset'), None)


def test_split(cfg: Config) -> str:
    """The test split in words: held out of the training images, or the dataset's own."""
    subset = long_tailed(cfg.test_dataloader.dataset)
    if subset is not None:
        return (f'{subset.held_out_per_class - subset.val_per_class} held-out training images '
                'per class (disjoint from val)')
    return f'the official test split of {wrapped_datasets(cfg.test_dataloader.dataset)[-1].type}'


def class_names(cfg: Config) -> List[str]:
    """The classes of the config's source dataset: a CustomDataset's sorted class folders, or
    the ``METAINFO`` of a dataset class such as mmpretrain's FashionMNIST."""
    source = wrapped_datasets(cfg.test_dataloader.dataset)[-1]
    if source.type == 'CustomDataset':
        return sorted(os.listdir(osp.join(source.data_root, source.get('data_prefix', ''))))
    return list(DATASETS.get(source.type).METAINFO['classes'])


def markdown(title: str, seeds: Sequence[int], results: List[dict], rows: Dict[str, dict],
             throughput: Dict[str, List[float]], setup: dict) -> str:
    lines = [
        f'# {title} on CPU, short budget (benchmarks/long_tail_cpu.py)', '',
        f"{setup['machine']}; {setup['minutes']:.0f} min for the whole script; load average "
        f"{setup['load'][0]:.1f} at the start, {setup['load'][1]:.1f} at the end.", '',
        data_line(setup['train_class_counts'], setup['val'], setup['test'],
                  'held-out training images'), '',
        f"Model: ResNet-32 with the paper's head and optimizer; {setup['epochs']} epoch(s) of "
        f"one-cycle (lr 0.1, batch 128), {setup['precision']}. Seeds {list(seeds)} "
        '(initialization and data order; the subset is fixed). Mean ± sample std over seeds.', '',
        *results_table(rows),
        '', f'Per-class top-1 on test, seed {seeds[0]} (training images per class in '
        'parentheses):', '',
        *class_accuracy_table(results[0]['class_accuracy'], setup['classes'],
                              setup['train_class_counts']),
        '', 'Training throughput (images/s, wall clock of Runner.train with start-up and the '
        'final validation): ' + '; '.join(
            f'{row} {mean_std(values)}' for row, values in throughput.items()) + '.', '']
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dataset', choices=tuple(BENCHMARKS))
    parser.add_argument('--data', help='default: ' + '; '.join(
        f"{name}: {info['data']}, {info['data_help']}" for name, info in BENCHMARKS.items()))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', help='default: work_dirs/{name}[_smoke]')
    parser.add_argument('--results', help='default: benchmarks/results (smoke: the work dir)')
    parser.add_argument('--precision', choices=PRECISIONS, default='fp32',
                        help='bf16: autocast training (default: fp32)')
    parser.add_argument('--smoke', action='store_true', help='tiny end-to-end check')
    args = parser.parse_args()
    info, name = BENCHMARKS[args.dataset], f"{args.dataset.replace('-', '_')}_lt_cpu"
    data = osp.abspath(args.data or info['data'])
    if args.dataset == 'cifar10' and not osp.isdir(data):
        raise SystemExit(f'--data {data}: no such folder; pass {info["data_help"]}')
    start, load = time.perf_counter(), os.getloadavg()[0]
    work_dir = args.work_dir or osp.join('work_dirs', name + '_smoke' * args.smoke)
    results_dir = args.results or (
        work_dir if args.smoke else osp.join(ROOT, 'benchmarks', 'results'))
    os.makedirs(results_dir, exist_ok=True)
    options = dict(data_root_options(config(args.dataset, 'deconfound'), data),
                   **precision_options(args.precision),
                   **(info['smoke']() if args.smoke else {}))
    results, throughput = [], {'linear': [], 'deconfound': []}
    for seed in args.seeds:
        checkpoints = {}
        for row in ('linear', 'deconfound'):
            checkpoints[row], images_per_s = train(
                config(args.dataset, row), osp.join(work_dir, f'seed{seed}', row), seed, options)
            throughput[row].append(images_per_s)
            print(f'seed {seed}: trained {row} at {images_per_s:.0f} img/s', flush=True)
        results.append(score_seed(
            (config(args.dataset, 'linear'), checkpoints['linear']),
            (config(args.dataset, 'deconfound'), checkpoints['deconfound']), ALPHA,
            alphas=parse_alphas('0:3:0.1'), ts=parse_alphas('0:3:0.1'), cfg_options=options))
        print(f'seed {seed}: ' + ', '.join(f"{row} {metrics['overall']:.2f}"
                                           for row, metrics in results[-1]['rows'].items()))
        if seed == args.seeds[0]:  # the in-memory scoring is what tools/test.py reports
            cfg = Config.fromfile(config(args.dataset, 'deconfound-tde'))
            cfg.merge_from_dict(dict(options, work_dir=osp.join(work_dir, f'seed{seed}', 'tde'),
                                     load_from=checkpoints['deconfound']))
            tested = Runner.from_cfg(cfg).test()['long_tail/overall']
            scored = results[-1]['rows']['deconfound-tde']['overall']
            if abs(tested - scored) > 1e-6:
                raise RuntimeError(f'Runner.test() gives TDE {tested}, the scoring {scored}')
    rows = summarize(results)
    cfg = Config.fromfile(config(args.dataset, 'deconfound'))
    cfg.merge_from_dict(options)
    val = long_tailed(cfg.val_dataloader.dataset)
    processor = platform.processor() or platform.machine()
    setup = dict(machine=f'{os.cpu_count()} CPU cores ({processor})',
                 minutes=(time.perf_counter() - start) / 60, load=(load, os.getloadavg()[0]),
                 classes=class_names(cfg), train_class_counts=results[0]['train_class_counts'],
                 val=val.get('val_per_class') or val.held_out_per_class,
                 test=test_split(cfg), epochs=cfg.train_cfg.max_epochs, precision=args.precision)
    with open(osp.join(results_dir, f'{name}.json'), 'w') as f:
        json.dump(dict(seeds=args.seeds, rows=rows, train_class_counts=setup['train_class_counts'],
                       epochs=setup['epochs'], precision=args.precision), f, indent=2)
    plot_sweeps([result['sweep'] for result in results],
                osp.join(results_dir, f'{name}_alpha_sweep.png'),
                f"{info['title']}, short budget, test split, {len(results)} seed(s)",
                {f'paper alpha = {ALPHA:g}': ALPHA})
    text = markdown(info['title'], args.seeds, results, rows, throughput, setup)
    with open(osp.join(results_dir, f'{name}.md'), 'w') as f:
        f.write(text)
    print(text)
    print(f'wrote {name}.json, .md and _alpha_sweep.png into {results_dir}')


if __name__ == '__main__':
    main()
