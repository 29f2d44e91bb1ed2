"""Throughput cost of the TDE heads against the stock linear heads, on the CPU.

Classification: the model of ``configs/cifar_lt/deconfound-tde_..._cifar10-lt-r100.py``
(CifarResNet-32 + GlobalAveragePooling + TDEClsHead, deconfound, K=2, alpha=1.0) against the same
model with mmpretrain's ``LinearClsHead``, on one fixed batch of 128 random 32x32 images:

- train step: ``model.train_step`` (data preprocessor, forward, loss, backward, SGD step of the
  config's optimizer) and, for TDE, ``HeadDirectionHook.after_train_iter`` (the head-direction
  update); images per second.
- inference: ``model.test_step`` under ``torch.no_grad`` (the TDE head predicts with TDE against
  the non-zero direction the warm-up train steps left); images per second.

Detection: one training iteration (``train_step`` + hook) of the Cascade Mask R-CNN of
``configs/lvis/deconfound-tde_cascade-mask-rcnn_r50_fpn_8xb2-20e_lvis-v1.py`` (three
TDEShared2FCBBoxHead stages) against ``configs/lvis/linear_...`` (mmdet's Shared2FCBBoxHead),
both with the LVIS v1 heads (1,203 classes, 1,024-d shared FCs) but a randomly initialised
ResNet-18 backbone, a batch of two 256x256 random images with mmdet's ``demo_mm_inputs`` boxes
and masks, and ``--det-rois`` (default 128, the configs sample 512) RoIs per image and stage to
keep an iteration to seconds; the heads weigh more here than with a ResNet-50 on LVIS images.
Both start from the same weights, the optimizer steps with lr 0 (SGD computes its full update,
which leaves the weights unchanged) and the seed is reset before each iteration, so both draw
the same proposals and RoIs in every iteration: the positive RoIs, whose number sets the mask
heads' cost, would otherwise drift apart with the weights.

Each benchmark runs untimed warm-up steps, then ``--repeats`` rounds; every round times
``--iters`` steps of each variant, alternating which goes first. Printed: the median wall-clock
throughput of each variant and the TDE / linear ratio as the median of the per-round ratios
(each pairs runs taken seconds apart, which cancels most of the load drift of a shared
machine), of wall-clock and of CPU-time (``time.process_time``) throughputs. On a machine other
processes load, the CPU-time ratio with ``--threads 1`` is the steadiest measure.

    python benchmarks/head_overhead.py [--repeats 7] [--iters 3] [--det-repeats 3]
        [--det-rois 128] [--threads N] [--no-det]
"""
import argparse
import copy
import functools
import os.path as osp
import statistics
import time
from types import SimpleNamespace
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

import mmcausal  # noqa: F401  (registers the heads, the backbone and the hook)
from mmcausal.engine import HeadDirectionHook

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CLS_CONFIG = osp.join(ROOT, 'configs', 'cifar_lt',
                      'deconfound-tde_resnet32_1xb256-200e_cifar10-lt-r100.py')
DET_CONFIGS = {
    'TDE': osp.join(ROOT, 'configs', 'lvis',
                    'deconfound-tde_cascade-mask-rcnn_r50_fpn_8xb2-20e_lvis-v1.py'),
    'linear': osp.join(ROOT, 'configs', 'lvis',
                       'linear_cascade-mask-rcnn_r50_fpn_8xb2-20e_lvis-v1.py'),
}
BATCH = 128
WARMUP_STEPS = 2


def interleaved(steps: Dict[str, Callable[[], None]], repeats: int, iters: int,
                items: int) -> Dict[str, Dict[str, List[float]]]:
    """Per variant, items per wall-clock second and per CPU second (``time.process_time``, all
    threads of the process) of each round; ``repeats`` rounds, alternating the order."""
    names = list(steps)
    rates = {name: dict(wall=[], cpu=[]) for name in names}
    for round_index in range(repeats):
        for name in names if round_index % 2 == 0 else names[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(iters):
                steps[name]()
            rates[name]['wall'].append(iters * items / (time.perf_counter() - wall))
            rates[name]['cpu'].append(iters * items / (time.process_time() - cpu))
    return rates


def report(title: str, rates: Dict[str, Dict[str, List[float]]], unit: str,
           target: Optional[float] = None) -> None:
    """Median wall-clock throughputs, and the median of the per-round TDE / linear ratios of the
    wall-clock and of the CPU-time throughputs."""
    def ratios(clock: str) -> List[float]:
        return [t / b for t, b in zip(rates['TDE'][clock], rates['linear'][clock])]

    wall, cpu = ratios('wall'), ratios('cpu')
    print(f'{title}\n'
          f'    TDE {statistics.median(rates["TDE"]["wall"]):.3g} {unit}, linear '
          f'{statistics.median(rates["linear"]["wall"]):.3g} {unit}; TDE / linear: wall-clock '
          f'{statistics.median(wall):.3f} (rounds {min(wall):.3f}-{max(wall):.3f}), CPU time '
          f'{statistics.median(cpu):.3f} (rounds {min(cpu):.3f}-{max(cpu):.3f})'
          + ('' if target is None else f'; target >= {target}'), flush=True)


def hooked_train_step(model, optim_wrapper, data) -> Callable[[], None]:
    """``train_step``, then HeadDirectionHook's update, as the Runner runs them."""
    runner = SimpleNamespace(model=model, optim_wrapper=optim_wrapper,
                             logger=MMLogger.get_instance('head_overhead'))
    hook = HeadDirectionHook()
    hook.before_train(runner)

    def step() -> None:
        model.train_step(data, optim_wrapper)
        hook.after_train_iter(runner, 0)

    return step


def classification(repeats: int, iters: int) -> None:
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    cfg = Config.fromfile(CLS_CONFIG)
    tde_head = cfg.model.head
    heads = {
        'TDE': tde_head,
        'linear': dict(type='LinearClsHead', num_classes=tde_head.num_classes,
                       in_channels=tde_head.in_channels, loss=tde_head.loss),
    }
    generator = torch.Generator().manual_seed(0)
    data = dict(
        inputs=list(torch.randint(0, 256, (BATCH, 3, 32, 32), generator=generator,
                                  dtype=torch.uint8)),
        data_samples=[DataSample().set_gt_label(int(label))
                      for label in torch.randint(0, 10, (BATCH, ), generator=generator)])
    train_steps, test_steps, models = {}, {}, {}
    for name, head in heads.items():
        torch.manual_seed(0)
        model = MODELS.build(dict(cfg.model, head=head, data_preprocessor=cfg.data_preprocessor))
        model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        if name == 'TDE':
            train_steps[name] = hooked_train_step(model, optim_wrapper, data)
        else:
            train_steps[name] = functools.partial(model.train_step, data, optim_wrapper)
        models[name] = model

        def test_step(m=model) -> None:
            with torch.no_grad():
                m.test_step(data)

        test_steps[name] = test_step

    for step in train_steps.values():
        for _ in range(WARMUP_STEPS):
            step()
    for model in models.values():
        model.eval()
    classifier = models['TDE'].head.classifier
    assert classifier.alpha > 0 and classifier.tde_active(), 'TDE is not active at inference'
    for step in test_steps.values():
        for _ in range(WARMUP_STEPS):
            step()

    print(f'classification: CifarResNet-32 + GAP, batch {BATCH} of 3x32x32, TDEClsHead '
          f'(deconfound, alpha={classifier.alpha}, |d|='
          f'{float(classifier.direction.vector.norm()):.3g}) vs LinearClsHead', flush=True)
    for model in models.values():
        model.train()
    report('  train step (+ hook for TDE):', interleaved(train_steps, repeats, iters, BATCH),
           'img/s', 0.97)
    for model in models.values():
        model.eval()
    report('  inference (test_step):', interleaved(test_steps, repeats, iters, BATCH), 'img/s',
           0.98)


def detection(repeats: int, iters: int, rois: int) -> None:
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    data = demo_mm_inputs(batch_size=2, image_shapes=[(3, 256, 256)] * 2, num_items=[4, 4],
                          num_classes=1203, with_mask=True)
    steps, models = {}, {}
    for name in ('linear', 'TDE'):
        cfg = Config.fromfile(DET_CONFIGS[name])
        model_cfg = cfg.model
        model_cfg.backbone.update(depth=18, init_cfg=None)
        model_cfg.neck.in_channels = [64, 128, 256, 512]
        for stage in model_cfg.train_cfg.rcnn:
            stage.sampler.num = rois
        model = MODELS.build(model_cfg)
        if name == 'linear':
            torch.manual_seed(0)
            model.init_weights()
        else:  # the same weights everywhere, fc_cls included; the linear fc_cls bias is left out
            model.load_state_dict(models['linear'].state_dict(), strict=False)
        model.train()
        models[name] = model
        # lr 0: SGD does all its work but leaves the weights as they are, so both models keep
        # the same weights, proposals and positive RoIs in every iteration.
        cfg.optim_wrapper.optimizer.lr = 0.0
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        if name == 'TDE':
            step = hooked_train_step(model, optim_wrapper, copy.deepcopy(data))
        else:
            step = functools.partial(model.train_step, copy.deepcopy(data), optim_wrapper)

        def seeded(step=step) -> None:  # the RoI samplers draw the same RoIs for both variants
            torch.manual_seed(0)
            step()

        steps[name] = seeded
    for step in steps.values():
        step()  # warm-up
    print(f'detection: Cascade Mask R-CNN, ResNet-18 FPN, LVIS v1 heads (1203 classes), batch 2 '
          f'of 3x256x256, {rois} RoIs per image and stage, TDEShared2FCBBoxHead x3 vs '
          'Shared2FCBBoxHead x3', flush=True)
    report('  train iteration (+ hook for TDE):', interleaved(steps, repeats, iters, 1), 'it/s')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=7, help='classification rounds')
    parser.add_argument('--iters', type=int, default=3, help='classification steps per round')
    parser.add_argument('--det-repeats', type=int, default=3, help='detection rounds')
    parser.add_argument('--det-iters', type=int, default=1, help='detection steps per round')
    parser.add_argument('--det-rois', type=int, default=128,
                        help='RoIs sampled per image and cascade stage (the configs: 512)')
    parser.add_argument('--no-det', action='store_true', help='skip the detection benchmark')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s, one per core)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    # The current logger: keeps mmengine's per-parameter init messages off the console.
    MMLogger.get_instance('head_overhead', log_level='WARNING')
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    classification(args.repeats, args.iters)
    if not args.no_det:
        detection(args.det_repeats, args.det_iters, args.det_rois)


if __name__ == '__main__':
    main()
