"""Test a checkpoint on the test split of a config, as mmpretrain's tools/test.py does.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
                         [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

The metrics are logged and written to ``WORK_DIR/TIMESTAMP/TIMESTAMP.json``. alpha is not
part of training, so one checkpoint serves every TDE strength:
``--cfg-options model.head.alpha=2.0``. Multi-process: ``tools/dist_test.sh``.
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from mmcausal.apis import runner_work_dir
from mmcausal.utils import setup_cpu_distributed  # importing mmcausal registers its modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='directory of the log and the metrics file '
                        "(default: the config's work_dir, else work_dirs/CONFIG_NAME)")
    parser.add_argument('--out', help='also dump the per-image predictions (pred_score, '
                        'pred_label, gt_label) to this .pkl file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. model.head.alpha=2.0; a list as '
        'key="[a,b]" or key=a,b, no spaces')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    return parser.parse_args()


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line arguments to ``cfg``; ``--cfg-options`` last."""
    cfg.launcher = args.launcher
    cfg.work_dir = runner_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main() -> None:
    args = parse_args()
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out {args.out}: the predictions are dumped as a pickle; '
                         'give a file name ending in .pkl')
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint}: no such file; give a .pth that '
                                'tools/train.py saved (e.g. WORK_DIR/epoch_N.pth) or a URL')
    cfg = merge_args(Config.fromfile(args.config), args)
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
