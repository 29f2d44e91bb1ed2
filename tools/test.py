"""Test a checkpoint on the test split of a config, as mmpretrain's tools/test.py does.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--alpha A] [--image-folders DIR]
                         [--out FILE.pkl] [--amp] [--no-pin-memory] [--cfg-options KEY=VALUE ...]
                         [--launcher {none,pytorch,slurm,mpi}]

The metrics are logged and written to ``WORK_DIR/TIMESTAMP/TIMESTAMP.json``. alpha is not
part of training, so one checkpoint serves every TDE strength: ``--alpha 2.0`` sets it on every
TDE head of the model (``model.head``, each stage of ``model.roi_head.bbox_head``).
Multi-process: ``tools/dist_test.sh`` (torchrun) or ``tools/slurm_test.sh``.

mmpretrain's flags left out: ``--out-item metrics``, because the metrics are always written to
the JSON above; ``--show``, ``--show-dir``, ``--interval`` and ``--wait-time``, because drawing the
predicted class on each image shows nothing of what TDE changes (``--out`` keeps every score);
``--tta``, because no config here defines a test-time augmentation (the paper tests without);
``--local-rank``, because torchrun passes the rank in the environment.
"""
import argparse
import os.path as osp
from typing import Dict

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from mmcausal.apis import image_folder_options, runner_work_dir
from mmcausal.utils import setup_cpu_distributed  # importing mmcausal registers its modules

#: The heads that take ``alpha``: mmcausal's TDE classification head and TDE box head.
TDE_HEADS = ('TDEClsHead', 'TDEShared2FCBBoxHead')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='directory of the log and the metrics file '
                        "(default: the config's work_dir, else work_dirs/CONFIG_NAME)")
    parser.add_argument('--alpha', type=float,
                        help='TDE strength of every TDE head of the model (0: no TDE)')
    parser.add_argument('--image-folders', metavar='DIR',
                        help='read the datasets from DIR/train and DIR/test, one folder per '
                        "class in each, instead of the config's files (e.g. CIFAR-10 as PNGs)")
    parser.add_argument('--out', help='also dump the per-image predictions (pred_score, '
                        'pred_label, gt_label) to this .pkl file')
    parser.add_argument('--amp', action='store_true', help='test under autocast: fp16 on a '
                        'GPU, bf16 on the CPU (test_cfg.fp16)')
    parser.add_argument('--no-pin-memory', action='store_true',
                        help='pin_memory=False in the test dataloader')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=64; a list as '
        'key="[a,b]" or key=a,b, no spaces')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    return parser.parse_args()


def alpha_options(model: ConfigDict, alpha: float) -> Dict[str, float]:
    """``cfg_options`` that set ``alpha`` on every TDE head (:data:`TDE_HEADS`) of ``model``:
    ``model.head`` and ``model.roi_head.bbox_head``, a list of stages in a cascade."""
    heads = {'model.head': model.get('head')}
    bbox_head = model.get('roi_head', {}).get('bbox_head')
    if isinstance(bbox_head, list):
        heads.update({f'model.roi_head.bbox_head.{i}': head for i, head in enumerate(bbox_head)})
    else:
        heads['model.roi_head.bbox_head'] = bbox_head
    options = {f'{key}.alpha': alpha for key, head in heads.items()
               if isinstance(head, dict) and head.get('type') in TDE_HEADS}
    if not options:
        raise ValueError(f'--alpha {alpha}: the model has no TDE head (model.head or '
                         f'model.roi_head.bbox_head of a type in {TDE_HEADS}); test it '
                         'without --alpha')
    return options


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line arguments to ``cfg``; ``--cfg-options`` last."""
    cfg.launcher = args.launcher
    cfg.work_dir = runner_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.image_folders is not None:
        cfg.merge_from_dict(image_folder_options(args.config, args.image_folders))
    if args.alpha is not None:
        options = alpha_options(cfg.model, args.alpha)
        cfg.merge_from_dict(options)
        print(f'--alpha {args.alpha}: ' + ', '.join(f'{key} = {value}'
                                                    for key, value in options.items()))
    if args.amp:
        cfg.test_cfg.fp16 = True
    if args.no_pin_memory:
        cfg.test_dataloader.pin_memory = False
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
