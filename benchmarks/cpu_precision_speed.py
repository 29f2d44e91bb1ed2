"""CPU training step of the 200-epoch ResNet-32 in fp32 and with CPUAmpOptimWrapper, side by side.

    python benchmarks/cpu_precision_speed.py [--batch 256] [--rounds 5] [--threads N]

The model and SGD of ``configs/cifar10_jpg_lt/deconfound_resnet32_1xb256-200e_*`` (ResNet-32,
the de-confound head, its head-direction update left out), one ``train_step`` per variant and
round on a fixed random batch: ``fp32`` (mmengine's ``OptimWrapper``), ``fp32 channels-last``
(the same model in channels-last memory format) and ``bf16`` (:class:`CPUAmpOptimWrapper`: bf16
autocast and channels-last). Variants alternate within each round, so load affects them alike;
it prints the median seconds per step and the speed-up over fp32. ``--rounds 1 --batch 8`` is
the smoke run of the tests.
"""
import argparse
import copy
import os.path as osp
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS, OPTIM_WRAPPERS
from mmpretrain.structures import DataSample

import mmcausal  # noqa: F401  (registers the model and CPUAmpOptimWrapper)
from mmcausal.engine import cpu_has_native_bf16

CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'cifar10_jpg_lt',
                  'deconfound_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--threads', type=int, help='torch threads (default: torch\'s)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not cpu_has_native_bf16():
        raise SystemExit('this CPU has no bf16 instructions (AVX512-BF16 or AMX): nothing to '
                         'compare')
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    batch = dict(inputs=list(torch.randint(0, 256, (args.batch, 3, 32, 32), dtype=torch.uint8)),
                 data_samples=[DataSample().set_gt_label(i % 10) for i in range(args.batch)])
    variants = {}
    for name, wrapper, channels_last in (('fp32', 'OptimWrapper', False),
                                         ('fp32 channels-last', 'OptimWrapper', True),
                                         ('bf16', 'CPUAmpOptimWrapper', True)):
        copied = copy.deepcopy(model).train()
        if channels_last:
            copied.to(memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(copied.parameters(), lr=0.2, momentum=0.9, weight_decay=5e-4)
        variants[name] = (copied, OPTIM_WRAPPERS.build(dict(type=wrapper, optimizer=optimizer)))
    seconds = {name: [] for name in variants}
    for round_ in range(args.rounds + 1):  # round 0 warms up
        for name, (copied, wrapper) in variants.items():
            start = time.perf_counter()
            copied.train_step(batch, wrapper)
            if round_:
                seconds[name].append(time.perf_counter() - start)
    fp32 = statistics.median(seconds['fp32'])
    print(f'ResNet-32 train step, batch {args.batch}, torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads, median of {args.rounds} round(s)')
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f'{name:20s} {median:.3f} s/step  speed-up over fp32 {fp32 / median:.2f}x')


if __name__ == '__main__':
    main()
