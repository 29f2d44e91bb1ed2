"""CIFAR-10-LT (ratio 100) at the paper's scale: the 200-epoch rows of ``configs/cifar_lt/``.

    bash benchmarks/gpu_cifar10_lt_full.sh [ARGS]    # on a GPU machine (benchmarks/README.md)
    python benchmarks/gpu_cifar10_lt_full.py [--out DIR] [--jobs 2] [--epochs N]
        [--max-per-class N] [--held-out-per-class N] [--archive TAR] [--data DIR]

It trains ``linear_`` and ``deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py`` with the
authors' schedule unchanged (SGD lr 0.2, batch 256, warm-up, lr x 0.01 at epochs 120 and 160),
``--jobs`` of them at a time in separate processes on the one device, and scores every row of
:mod:`mmcausal.apis.long_tail_protocol` with :func:`~mmcausal.apis.score_seed` (de-confound-TDE
at the alpha of the ``deconfound-tde_`` config, alpha and logit adjustment's t chosen on val),
plus the alpha sweep on test (:func:`~mmcausal.evaluation.alpha_sweep.plot_sweeps`).

Data: the configs read mmpretrain's ``CIFAR10``, which is not here; they read the real CIFAR-10
training JPEGs instead (``--archive``, extracted into ``--data``) through ``CustomDataset`` and
``LoadImageFromFile`` (BGR, hence ``data_preprocessor.to_rgb=True``). The official test split is
not available, so ``LongTailedDataset`` reserves ``--held-out-per-class`` training images per class
before the long-tailed draw and splits them into balanced, disjoint val and test halves.

Only the data path differs from a plain ``tools/train.py`` run, and only in speed: every image is
decoded once into memory (:class:`DecodedImages`), loaders stack batches in their workers
(``default_collate``), use ``num_workers`` from the CPU count, persistent workers and pinned
memory, and validation runs once, after the last epoch.

Into ``--out`` (default ``$OUT`` when set, else the work directory) it writes at most 8 files:
``cifar10_lt_full.md`` (the table, per-class top-1, throughput and where the time went),
``cifar10_lt_full.json`` (the same and the alpha sweeps), ``cifar10_lt_full_alpha_sweep.png``,
and per model its mmengine log ``{row}.log`` and last checkpoint ``{row}_epoch_{N}.pth``.
"""
import argparse
import copy
import glob
import json
import multiprocessing
import os
import os.path as osp
import platform
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.dataset import Compose
from torch.utils.data import Dataset

from mmpretrain.registry import DATASETS

import mmcausal  # noqa: F401  (registers mmcausal's modules)
from mmcausal.apis import (ROW_TITLES, ROWS, class_accuracy_table, extract_cifar10_jpg,
                           score_seed, train)
from mmcausal.evaluation.alpha_sweep import parse_alphas, plot_sweeps

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'cifar_lt')
SUFFIX = 'resnet32_1xb256-200e_cifar10-lt-r100.py'
TRAINED = ('linear', 'deconfound')
# The carried copy (benchmarks/prepare_gpu_run.sh) first, then the shared data beside the checkout.
ARCHIVES = (osp.join(ROOT, 'data', 'cifar10-jpg', 'train.tar.gz'),
            osp.join(ROOT, '..', 'shared', 'data', 'cifar10-jpg', 'train.tar.gz'))
SWEEP = '0:3:0.1'  # alphas of the sweep and of the choice on val; the t of logit adjustment
PAPER = {'deconfound': 71.7, 'deconfound-tde': 80.6}  # Table 3, official test set


def config(row: str) -> str:
    """The ``configs/cifar_lt/`` config of ``row`` (``linear``, ``deconfound``,
    ``deconfound-tde``) at ratio 100."""
    return osp.join(CONFIGS, f'{row}_{SUFFIX}')


@DATASETS.register_module()
class DecodedImages(Dataset):
    """A dataset whose images are decoded once, into memory, when it is built.

    It wraps ``dataset`` (e.g. a ``LongTailedDataset`` of a ``CustomDataset`` folder) whose
    pipeline, or its inner dataset's, starts with ``LoadImageFromFile``: that transform runs on
    every sample on construction, and ``__getitem__`` runs the rest of the pipeline on a copy of
    the kept result. Samples, ``metainfo`` and ``get_data_info`` are the wrapped dataset's, so
    metrics and class counts see the same dataset. Dataloader workers forked from the process
    share the decoded images.

    Args:
        dataset (Dataset | dict): The dataset, or its config.
    """

    def __init__(self, dataset: Union[Dataset, dict]):
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        owner = self.dataset
        while not hasattr(owner, 'pipeline') and hasattr(owner, 'dataset'):
            owner = owner.dataset
        transforms = getattr(getattr(owner, 'pipeline', None), 'transforms', [])
        if not transforms or not isinstance(transforms[0], LoadImageFromFile):
            raise ValueError(
                f'DecodedImages wraps a dataset whose pipeline starts with LoadImageFromFile, but '
                f'{type(owner).__name__} has {[type(t).__name__ for t in transforms]}; put '
                "dict(type='LoadImageFromFile') first in its pipeline")
        load, self.pipeline = transforms[0], Compose(transforms[1:])
        self.decoded = [load(self.dataset.get_data_info(i)) for i in range(len(self.dataset))]

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return self.dataset.metainfo

    def full_init(self) -> None:
        """Nothing left to do (everything is decoded on construction)."""

    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's annotation of sample ``idx`` (no image)."""
        return self.dataset.get_data_info(idx)

    def __getitem__(self, idx: int) -> dict:
        return self.pipeline(dict(self.decoded[idx]))

    def __len__(self) -> int:
        return len(self.decoded)


def find_archive(archive: Optional[str]) -> str:
    """``archive``, else the first of :data:`ARCHIVES` that exists."""
    candidates = [archive] if archive else ARCHIVES
    for path in candidates:
        if osp.isfile(path):
            return path
    raise SystemExit(f'no CIFAR-10 JPEG archive at {" or ".join(candidates)}; on a GPU machine run '
                     'bash benchmarks/prepare_gpu_run.sh here first and carry '
                     'data/cifar10-jpg/train.tar.gz, or pass --archive PATH/train.tar.gz')


def data_options(images: str, workers: int, max_per_class: Optional[int],
                 held_out_per_class: int, epochs: Optional[int]) -> dict:
    """``cfg_options`` for the ``configs/cifar_lt/`` CIFAR-10 configs: the JPEG folder
    ``images`` instead of mmpretrain's CIFAR10, the fast data path of the module docstring, and
    validation after the last epoch only.

    Args:
        images (str): Folder of class folders of JPEGs.
        workers (int): ``num_workers`` of the training dataloader.
        max_per_class (int, optional): Head-class size of the long-tailed draw (None: as many
            as the reservation leaves, 4,500 for 500 held out).
        held_out_per_class (int): Images per class reserved for val and test (half each).
        epochs (int, optional): Replaces the config's 200 (None: unchanged).
    """
    cfg = Config.fromfile(config('deconfound')).to_dict()
    long_tailed = dict(cfg['train_dataloader']['dataset'], held_out_per_class=held_out_per_class,
                       val_per_class=held_out_per_class // 2, max_per_class=max_per_class)
    max_epochs = epochs or cfg['train_cfg']['max_epochs']
    options = {'data_preprocessor.to_rgb': True,  # mmcv decodes JPEGs to BGR
               'env_cfg.cudnn_benchmark': True,
               'train_cfg.max_epochs': max_epochs, 'train_cfg.val_interval': max_epochs,
               'default_hooks.checkpoint.interval': -1}  # only the last epoch's checkpoint
    for loader, subset, pipeline in (('train_dataloader', 'train', cfg['train_pipeline']),
                                     ('val_dataloader', 'val', cfg['test_pipeline']),
                                     ('test_dataloader', 'test', cfg['test_pipeline'])):
        source = dict(type='CustomDataset', data_root=images, data_prefix='',
                      pipeline=[dict(type='LoadImageFromFile'), *pipeline])
        options[loader] = dict(
            batch_size=cfg['train_dataloader']['batch_size'],
            num_workers=workers if subset == 'train' else min(workers, 2),
            persistent_workers=subset == 'train', pin_memory=torch.cuda.is_available(),
            collate_fn=dict(type='default_collate'),
            sampler=dict(type='DefaultSampler', shuffle=subset == 'train'),
            dataset=dict(_delete_=True, type='DecodedImages',
                         dataset=dict(long_tailed, dataset=source, subset=subset)))
    return options


def write_configs(options: dict, folder: str) -> Dict[str, str]:
    """The linear and de-confound configs with ``options`` merged, written to ``folder`` as
    ``{row}.py``; returns their paths. Training and scoring read these files, a record of exactly
    what ran (a copy of ``options`` is merged: mmengine consumes its ``_delete_`` keys)."""
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for row in TRAINED:
        cfg = Config.fromfile(config(row))
        cfg.merge_from_dict(copy.deepcopy(options))
        paths[row] = osp.join(folder, f'{row}.py')
        cfg.dump(paths[row])
    return paths


def train_job(config_file: str, work_dir: str, seed: int) -> dict:
    """Train ``config_file`` (:func:`mmcausal.apis.train`) and read its log's timers.

    Returns:
        dict: ``checkpoint``, ``log`` (mmengine's log file), ``images_per_s`` (Runner.train
        wall clock), ``seconds``, and the medians over the logged windows of ``time`` and
        ``data_time`` per iteration (s), the latter the wait for the dataloader.
    """
    start = time.perf_counter()
    checkpoint, images_per_s = train(config_file, work_dir, seed)
    seconds = time.perf_counter() - start
    scalars = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))[-1]
    with open(scalars) as f:
        logged = [json.loads(line) for line in f]
    train_logged = [entry for entry in logged if 'lr' in entry]  # not the validation's
    timers = {key: float(np.median([entry[key] for entry in train_logged]))
              for key in ('time', 'data_time')}
    log = glob.glob(osp.join(osp.dirname(osp.dirname(scalars)), '*.log'))[0]
    return dict(checkpoint=checkpoint, log=log, images_per_s=images_per_s, seconds=seconds,
                **timers)


def train_all(configs: Dict[str, str], work_dir: str, seed: int, jobs: int) -> Dict[str, dict]:
    """:func:`train_job` of each config (by row), ``jobs`` at a time, each in a fresh (spawned)
    process, so two runs share the device but not a Python interpreter."""
    context = multiprocessing.get_context('spawn')
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {row: pool.submit(train_job, path, osp.join(work_dir, row), seed)
                   for row, path in configs.items()}
        return {row: future.result() for row, future in futures.items()}


def device_name() -> str:
    """The GPU's name, else the CPU's."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return f'no GPU, CPU only ({platform.processor() or platform.machine()})'


def markdown(result: dict, setup: dict) -> str:
    """The results table, per-class top-1, throughput and timings as markdown."""
    counts = result['train_class_counts']
    lines = [
        '# CIFAR-10-LT ratio 100, the 200-epoch rows of configs/cifar_lt/ '
        '(benchmarks/gpu_cifar10_lt_full.sh)', '',
        f"{setup['device']}; torch {setup['torch']}; {setup['cpus']} CPU cores; "
        f"{setup['minutes']:.1f} min from start to scores (extraction {setup['extract_s']:.0f} s, "
        f"training {setup['train_s']:.0f} s with {setup['jobs']} model(s) at a time on the one "
        f"device, scoring {setup['score_s']:.0f} s).", '',
        f"Schedule: {setup['epochs']} epochs, SGD lr {setup['lr']:g}, batch {setup['batch']}, "
        f"momentum 0.9, weight decay 5e-4, linear warm-up, lr x 0.01 at epochs "
        f"{setup['milestones']} (configs/_base_/schedules/cifar_lt_bs256_200e.py); seed "
        f"{setup['seed']}." + (' **A dry run on a reduced schedule or subset, not a result.**'
                               if setup['dry_run'] else ''), '',
        'Data: the real CIFAR-10 training JPEGs; long-tailed training subset '
        f"{counts} ({sum(counts)} images). **The official CIFAR-10 test split is not available "
        f"here**: val and test are {setup['val']} + {setup['test']} held-out training images per "
        'class that the subset never uses (balanced, disjoint). alpha and t are chosen on val by '
        'overall top-1; every number below is on test. The paper\'s numbers are on the official '
        'test split. Top-1 in %; many-shot: > 100 training images, medium: 20-100, few: < 20.', '',
        '| row | overall | many | medium | few | alpha or t | paper, overall |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    for row in ROWS:
        metrics = result['rows'][row]
        parameter = metrics.get('alpha', metrics.get('t', '-'))
        cells = [f'{metrics[group]:.2f}' if group in metrics else '-'
                 for group in ('overall', 'many', 'medium', 'few')]
        lines.append(f'| {ROW_TITLES[row]} | ' + ' | '.join(cells)
                     + f" | {parameter} | {PAPER.get(row, '-')} |")
    lines += ['', 'Per-class top-1 on test (training images per class in parentheses):', '',
              *class_accuracy_table(result['class_accuracy'], setup['classes'], counts)]
    lines += ['', '| training | images/s (Runner.train wall clock) | s | s per iteration '
              '(median) | of which waiting for data |', '| --- | ---: | ---: | ---: | ---: |']
    lines += [f"| {row} | {job['images_per_s']:.0f} | {job['seconds']:.0f} | {job['time']:.4f} | "
              f"{job['data_time']:.4f} ({100 * job['data_time'] / job['time']:.0f} %) |"
              for row, job in setup['training'].items()]
    return '\n'.join(lines) + '\n'


def collect(out: str, jobs: Dict[str, dict]) -> List[str]:
    """Copy each model's log and checkpoint into ``out``; returns the copied names."""
    names = []
    for row, job in jobs.items():
        for source, name in ((job['log'], f'{row}.log'),
                             (job['checkpoint'], f'{row}_{osp.basename(job["checkpoint"])}')):
            if osp.abspath(source) != osp.abspath(osp.join(out, name)):
                shutil.copyfile(source, osp.join(out, name))
            names.append(name)
    return names


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.environ.get('OUT'),
                        help='folder of the results (default: $OUT, else the work directory)')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'gpu_cifar10_lt_full'),
                        help='logs and checkpoints (default: work_dirs/gpu_cifar10_lt_full)')
    parser.add_argument('--jobs', type=int, default=2, choices=(1, 2),
                        help='models trained at a time, each in its own process (default: 2)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--epochs', type=int, help="dry runs only (default: the config's 200)")
    parser.add_argument('--max-per-class', type=int,
                        help='head-class size, dry runs only (default: all the reservation leaves)')
    parser.add_argument('--held-out-per-class', type=int, default=500,
                        help='images per class reserved for val and test, half each (default: 500)')
    parser.add_argument('--archive', help='the CIFAR-10 JPEG tar.gz (default: '
                        'data/cifar10-jpg/train.tar.gz, else ../shared/data/cifar10-jpg/...)')
    parser.add_argument('--data', default=osp.join(ROOT, 'data', 'cifar10-jpg'),
                        help='where the archive is extracted (default: data/cifar10-jpg)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    out = args.out or args.work_dir
    os.makedirs(out, exist_ok=True)
    images = extract_cifar10_jpg(find_archive(args.archive), args.data)
    extract_s = time.perf_counter() - start
    workers = max(1, ((os.cpu_count() or 1) - args.jobs) // args.jobs)
    configs = write_configs(data_options(images, workers, args.max_per_class,
                                         args.held_out_per_class, args.epochs),
                            osp.join(args.work_dir, 'configs'))
    print(f'{device_name()}: training {", ".join(TRAINED)} ({args.jobs} at a time, {workers} '
          'dataloader workers each)', flush=True)
    jobs = train_all(configs, args.work_dir, args.seed, args.jobs)
    train_s = time.perf_counter() - start - extract_s
    for row, job in jobs.items():
        print(f"trained {row}: {job['images_per_s']:.0f} img/s, {job['time']:.4f} s/iteration "
              f"of which {job['data_time']:.4f} s waiting for data", flush=True)
    alpha = Config.fromfile(config('deconfound-tde')).model.head.alpha
    result = score_seed((configs['linear'], jobs['linear']['checkpoint']),
                        (configs['deconfound'], jobs['deconfound']['checkpoint']), alpha,
                        alphas=parse_alphas(SWEEP), ts=parse_alphas(SWEEP))
    cfg = Config.fromfile(configs['deconfound'])
    setup = dict(device=device_name(), torch=torch.__version__, cpus=os.cpu_count(),
                 jobs=args.jobs, seed=args.seed, epochs=cfg.train_cfg.max_epochs,
                 dry_run=cfg.train_cfg.max_epochs != 200 or args.max_per_class is not None,
                 lr=cfg.optim_wrapper.optimizer.lr, batch=cfg.train_dataloader.batch_size,
                 milestones=cfg.param_scheduler[-1].milestones, val=args.held_out_per_class // 2,
                 test=args.held_out_per_class - args.held_out_per_class // 2,
                 classes=sorted(os.listdir(images)), extract_s=extract_s, train_s=train_s,
                 score_s=time.perf_counter() - start - extract_s - train_s,
                 training={row: {key: job[key] for key in ('images_per_s', 'seconds', 'time',
                                                           'data_time')}
                           for row, job in jobs.items()})
    setup['minutes'] = (time.perf_counter() - start) / 60
    plot_sweeps([result['sweep']], osp.join(out, 'cifar10_lt_full_alpha_sweep.png'),
                f"CIFAR-10-LT r100, {setup['epochs']} epochs, held-out test split",
                {f'paper alpha = {alpha:g}': alpha})
    with open(osp.join(out, 'cifar10_lt_full.json'), 'w') as f:
        json.dump(dict(result, setup=setup), f, indent=2)
    text = markdown(result, setup)
    with open(osp.join(out, 'cifar10_lt_full.md'), 'w') as f:
        f.write(text)
    copied = collect(out, jobs)
    print(text)
    print(f'wrote cifar10_lt_full.md, .json, _alpha_sweep.png, {", ".join(copied)} into {out}')


if __name__ == '__main__':
    main()
