"""Train a model from a config with mmengine's Runner, as mmpretrain's tools/train.py does.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--image-folders DIR] [--amp]
                          [--no-validate] [--auto-scale-lr] [--no-pin-memory]
                          [--no-persistent-workers]
                          [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

``--amp`` trains in mixed precision on either device: on a GPU as mmpretrain's does (fp16
autocast, mmengine's ``AmpOptimWrapper`` with a dynamic loss scale), on the CPU in bf16
(:class:`~mmcausal.engine.CPUAmpOptimWrapper`, :func:`~mmcausal.apis.precision_options`).
Multi-process: ``tools/dist_train.sh CONFIG GPUS`` (torchrun) or ``tools/slurm_train.sh``.
mmpretrain's ``--local-rank`` is left out, because torchrun passes the rank in the environment.
"""
import argparse

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmcausal.apis import image_folder_options, precision_options, runner_work_dir
from mmcausal.utils import setup_cpu_distributed  # importing mmcausal registers its modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='directory of logs and checkpoints '
                        "(default: the config's work_dir, else work_dirs/CONFIG_NAME)")
    parser.add_argument(
        '--resume', nargs='?', const='auto',
        help='resume from this checkpoint, or, without a path, from the latest checkpoint '
        'in the work directory')
    parser.add_argument('--amp', action='store_true', help='mixed precision training: fp16 '
                        '(AmpOptimWrapper) on a GPU, bf16 (CPUAmpOptimWrapper) on the CPU')
    parser.add_argument('--image-folders', metavar='DIR',
                        help='read the datasets from DIR/train and DIR/test, one folder per '
                        "class in each, instead of the config's files (e.g. CIFAR-10 as PNGs)")
    parser.add_argument('--no-validate', action='store_true',
                        help='train without validation (no val_dataloader, no val_evaluator)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the actual total batch size over '
        'auto_scale_lr.base_batch_size of the config')
    parser.add_argument('--no-pin-memory', action='store_true',
                        help='pin_memory=False in every dataloader')
    parser.add_argument('--no-persistent-workers', action='store_true',
                        help='persistent_workers=False in every dataloader')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. model.head.alpha=2.0 '
        'train_dataloader.batch_size=64; a list as key="[a,b]" or key=a,b, no spaces')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    return parser.parse_args()


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line arguments to ``cfg``; ``--cfg-options`` last."""
    cfg.launcher = args.launcher
    cfg.work_dir = runner_work_dir(cfg, args.config, args.work_dir)
    if args.image_folders is not None:
        cfg.merge_from_dict(image_folder_options(args.config, args.image_folders))
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp and torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif args.amp:
        cfg.merge_from_dict(precision_options('bf16'))
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError('--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) in '
                             'the config: the total batch size its learning rate is meant for')
        cfg.auto_scale_lr.enable = True
    switched_off = {key: False for key, off in (('pin_memory', args.no_pin_memory),
                                                ('persistent_workers', args.no_persistent_workers))
                    if off}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is not None:
            cfg[loader].update(switched_off)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main() -> None:
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    setup_cpu_distributed(cfg)
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
