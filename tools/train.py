"""Train a model from a config with mmengine's Runner, as mmpretrain's tools/train.py does.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                          [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

Multi-process: ``tools/dist_train.sh CONFIG GPUS`` (torchrun) or ``tools/slurm_train.sh``.
"""
import argparse

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmcausal.apis import runner_work_dir
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
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision training (AmpOptimWrapper)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the actual total batch size over '
        'auto_scale_lr.base_batch_size of the config')
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
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError('--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) in '
                             'the config: the total batch size its learning rate is meant for')
        cfg.auto_scale_lr.enable = True
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
