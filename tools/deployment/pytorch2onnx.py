"""Export a trained mmpretrain classifier to ONNX with TDE's alpha folded into the weights.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx
        [--alpha A] [--shape H W] [--opset 18]

The exported graph is the backbone, the neck and the head of ``TDEClsHead``, whose classifier
is frozen at ``--alpha`` (default: the config's ``model.head.alpha``): TDE (paper Eq. 8) at a
fixed head direction is a per-group normalization of the feature and one MatMul with the folded
weight ``w^ - alpha (w^ . d^) d^`` (:class:`~mmcausal.deployment.FoldedClassifier`), so the
file holds standard ONNX operators only. ``--alpha 0`` exports the de-confounded logits, the
only choice for ``classifier='linear'``; ``alpha > 0`` needs a checkpoint with the head
direction that ``HeadDirectionHook`` records in training.

Input ``inputs``: images (N, C, H, W) after the config's ``data_preprocessor`` (its mean and std,
which the tool prints); N, H and W stay dynamic where the backbone allows
(``--shape`` is the size it is traced at). Output ``logits``: (N, num_classes), the logits that
``tools/test.py --cfg-options model.head.alpha=A`` predicts with. After writing the file, the
tool runs it in onnxruntime on the traced batch and prints the largest difference to the
PyTorch model's logits.
"""
import argparse
import os.path as osp
from typing import Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.apis import get_model
from torch import nn

import mmcausal  # noqa: F401  (registers mmcausal's modules)
from mmcausal.causal import CausalClassifier
from mmcausal.deployment import OPSET, deployable_classifier, export_onnx, run_onnx

INPUT, OUTPUT = 'inputs', 'logits'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='mmpretrain config of the model (with a TDEClsHead)')
    parser.add_argument('checkpoint', help='checkpoint file of the trained model')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--alpha', type=float, default=None,
                        help="TDE strength baked into the weights (default: the config's "
                        'model.head.alpha; 0 exports the de-confounded logits)')
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224], metavar=('H', 'W'),
                        help='image size the graph is traced at (default: 224 224); the graph '
                        'takes other sizes where the backbone allows')
    parser.add_argument('--opset', type=int, default=OPSET,
                        help=f'ONNX opset version, >= {OPSET} (default: {OPSET})')
    return parser.parse_args()


def load_classifier(config: str, checkpoint: str) -> Tuple[nn.Module, CausalClassifier]:
    """The eval-mode mmpretrain model of ``config`` with ``checkpoint`` on the CPU, and the
    classifier of its ``TDEClsHead``."""
    for path, flag in ((config, 'config'), (checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            raise SystemExit(f'{flag} {path}: no such file')
    cfg = Config.fromfile(config)
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope != 'mmpretrain':
        raise SystemExit(f'{config} is an {scope} config; this tool exports mmpretrain '
                         'classifiers (for the RoI head of a detector see docs/deploy.md)')
    init_default_scope(scope)
    model = get_model(cfg, checkpoint, device='cpu').eval()
    classifier = getattr(model.head, 'classifier', None)
    if not isinstance(classifier, CausalClassifier):
        raise SystemExit(f'{config}: model.head is {type(model.head).__name__}; this tool '
                         "exports models with head=dict(type='TDEClsHead', ...)")
    return model, classifier


def describe(names: Sequence[str], shapes: Sequence[list]) -> str:
    """``name (d0, d1, ...)`` per graph input or output, ``?`` for a dynamic size."""
    return ', '.join(f"{name} ({', '.join(str(d) if isinstance(d, int) else '?' for d in shape)})"
                     for name, shape in zip(names, shapes))


def values(tensor: torch.Tensor) -> str:
    """``[v0, v1, ...]`` of a tensor, each in ``%g``."""
    return '[' + ', '.join(f'{value:g}' for value in tensor.flatten().tolist()) + ']'


def main() -> None:
    args = parse_args()
    model, classifier = load_classifier(args.config, args.checkpoint)
    alpha = classifier.alpha if args.alpha is None else args.alpha
    if alpha > 0 and classifier.direction.is_zero:
        raise SystemExit(f'{args.checkpoint} has no head direction (model.head.classifier.'
                         'direction is zero: trained without HeadDirectionHook?), so TDE at '
                         f'--alpha {alpha:g} is undefined; export the de-confounded logits with '
                         '--alpha 0, or a checkpoint trained with HeadDirectionHook')
    try:
        deployed = deployable_classifier(model, alpha)
    except ValueError as error:  # alpha < 0, or alpha > 0 for classifier='linear'
        raise SystemExit(f'--alpha {alpha:g}: {error}') from error

    preprocessor = model.data_preprocessor
    mean, std = getattr(preprocessor, 'mean', None), getattr(preprocessor, 'std', None)
    channels = 3 if mean is None else mean.numel()
    example = torch.randn(2, channels, *args.shape, generator=torch.Generator().manual_seed(0))
    export_onnx(deployed, example, args.out, INPUT, [OUTPUT], dynamic_dims=(0, 2, 3),
                opset=args.opset)

    import onnxruntime
    session = onnxruntime.InferenceSession(args.out, providers=['CPUExecutionProvider'])
    signature = [*session.get_inputs(), *session.get_outputs()]
    print(f'wrote {args.out} ({osp.getsize(args.out) / 2**20:.2f} MiB, opset {args.opset}): '
          f'{describe([s.name for s in signature], [s.shape for s in signature])}')
    print(f'alpha baked in: {alpha:g} (classifier={classifier.variant!r}, '
          f'K={classifier.num_heads}; 0 gives the de-confounded logits)')
    if mean is not None:
        flip = getattr(preprocessor, '_channel_conversion', False)  # to_rgb of the config
        print(f'{INPUT}: images after the data_preprocessor: '
              + ('channels reversed (BGR -> RGB), then ' if flip else '')
              + f'(x - mean) / std with mean {values(mean)} and std {values(std)} per channel')
    classifier.alpha = alpha
    with torch.no_grad():
        expected = model(example).numpy()
    logits, = run_onnx(args.out, example)
    same_top1 = bool((logits.argmax(1) == expected.argmax(1)).all())
    print(f'onnxruntime vs PyTorch on the traced batch: max |logit difference| '
          f'{np.abs(logits - expected).max():.2e}, same top-1: {same_top1}')


if __name__ == '__main__':
    main()
