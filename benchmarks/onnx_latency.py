"""Inference latency of exported TDE classifiers against the same backbone with a linear head,
in onnxruntime on the CPU, and the sizes of the two ONNX files.

For each model the TDE one is the config's model with ``TDEClsHead`` exported by
:func:`~mmcausal.deployment.deployable_classifier` at the config's alpha (alpha folded into the
weights: per-group normalization and one MatMul), the linear one the same model with
mmpretrain's stock ``LinearClsHead`` exported as is; both by
:func:`~mmcausal.deployment.export_onnx` with a dynamic batch. Weights are the configs'
initialization (latency does not depend on their values); the head direction is the mean
feature of the timed batch, as ``HeadDirectionHook`` would record it.

- ``configs/cifar_lt/deconfound-tde_resnet32_...cifar10-lt-r100.py``: CifarResNet-32, 10
  classes, 64-d feature, K=2, alpha=1; batches of 128 random 32x32 images.
- ``configs/imagenet_lt/deconfound-tde-k2_resnext50-32x4d_...imagenet-lt.py``: ResNeXt-50,
  1,000 classes, 2,048-d feature, K=2, alpha=3; batches of 8 random 224x224 images.
- ``--smoke``: only the digits ResNet-8 (``configs/digits_lt/deconfound-tde_...``, 8x8
  images, batches of 4), one round of one run: checks the script, measures nothing.

Timing as ``benchmarks/head_overhead.py``: ``--repeats`` rounds, each timing ``--iters``
``InferenceSession.run`` calls of each file, alternating which goes first, after warm-up runs;
printed are the median images/s and the median of the per-round TDE / linear ratios of
wall-clock and CPU-time throughput (1.00 is no cost). onnxruntime runs ``--threads`` intra-op
threads (default 1, the steadiest on a shared machine).

    python benchmarks/onnx_latency.py [--repeats 7] [--iters 5] [--threads 1] [--smoke]
"""
import argparse
import copy
import os.path as osp
import tempfile

import onnx
import onnxruntime
import torch
from head_overhead import interleaved, report  # noqa: I100  (beside this script)
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.apis import get_model
from onnx import numpy_helper

import mmcausal  # noqa: F401  (registers TDEClsHead and CifarResNet)
from mmcausal.deployment import deployable_classifier, export_onnx

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODELS = {  # name -> (config, batch, image size)
    'CIFAR-10-LT ResNet-32': ('cifar_lt/deconfound-tde_resnet32_1xb256-200e_cifar10-lt-r100.py',
                              128, 32),
    'ImageNet-LT ResNeXt-50': (
        'imagenet_lt/deconfound-tde-k2_resnext50-32x4d_8xb64-coslr-90e_imagenet-lt.py', 8, 224),
}
SMOKE = {'digits ResNet-8': ('digits_lt/deconfound-tde_resnet8_1xb32-30e_digits-lt-r100.py', 4, 8)}
WARMUP = 2


def exported_pair(config: str, images: torch.Tensor, folder: str) -> dict:
    """``{'TDE': path, 'linear': path}``: the config's model exported with its TDE head folded
    at the config's alpha, and with mmpretrain's ``LinearClsHead`` in its place."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    init_default_scope('mmpretrain')
    head = cfg.model.head
    linear_head = dict(type='LinearClsHead', num_classes=head.num_classes,
                       in_channels=head.in_channels, loss=head.loss)
    torch.manual_seed(0)
    tde = get_model(cfg, device='cpu').eval()
    classifier = tde.head.classifier
    with torch.no_grad():
        classifier.direction.vector.copy_(tde.head.pre_logits(tde.extract_feat(images)).mean(0))
    linear_cfg = copy.deepcopy(cfg)
    linear_cfg.model.head = linear_head
    torch.manual_seed(0)
    linear = get_model(linear_cfg, device='cpu').eval()
    models = {'TDE': deployable_classifier(tde, classifier.alpha), 'linear': linear}
    print(f'  TDEClsHead: classifier={classifier.variant!r}, K={classifier.num_heads}, '
          f'alpha={classifier.alpha:g}; LinearClsHead', flush=True)
    paths = {}
    for name, model in models.items():
        paths[name] = osp.join(folder, f'{name}.onnx')
        export_onnx(model, images[:2], paths[name], 'inputs', ['logits'])
    return paths


def weight_bytes(path: str) -> int:
    """Bytes of the initializers (weights and constants) of an ONNX file."""
    return sum(numpy_helper.to_array(tensor).nbytes for tensor in onnx.load(path).graph.initializer)


def session(path: str, threads: int) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, options, providers=['CPUExecutionProvider'])


def benchmark(name: str, config: str, batch: int, size: int, args: argparse.Namespace) -> None:
    print(f'{name}: {config}, batches of {batch} random {size}x{size} images', flush=True)
    images = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(0))
    with tempfile.TemporaryDirectory() as folder:
        paths = exported_pair(config, images, folder)
        feed = {'inputs': images.numpy()}
        runs = {}
        for variant, path in paths.items():
            run = session(path, args.threads).run
            runs[variant] = lambda run=run: run(None, feed)
            for _ in range(WARMUP):
                runs[variant]()
        sizes = {variant: osp.getsize(path) for variant, path in paths.items()}
        weights = {variant: weight_bytes(path) for variant, path in paths.items()}
        rates = interleaved(runs, args.repeats, args.iters, batch)
    report('  inference (onnxruntime):', rates, 'img/s')
    print(f'  file size: TDE {sizes["TDE"] / 2**20:.3f} MiB, linear '
          f'{sizes["linear"] / 2**20:.3f} MiB, TDE - linear {sizes["TDE"] - sizes["linear"]:+d} '
          f'bytes, of which weights {weights["TDE"] - weights["linear"]:+d} bytes', flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=7, help='rounds (default 7)')
    parser.add_argument('--iters', type=int, default=5, help='runs per round (default 5)')
    parser.add_argument('--threads', type=int, default=1,
                        help='onnxruntime intra-op threads (default 1)')
    parser.add_argument('--smoke', action='store_true',
                        help='the digits model, one round of one run: a check, not a result')
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.iters = 1, 1
    print(f'onnxruntime {onnxruntime.__version__}, torch {torch.__version__}, '
          f'{args.threads} threads')
    for name, (config, batch, size) in (SMOKE if args.smoke else MODELS).items():
        benchmark(name, config, batch, size, args)


if __name__ == '__main__':
    main()
