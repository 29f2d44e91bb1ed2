"""Tiny classifiers trained on real images (scikit-learn's digits), and the parity check of
the export tests.

Imported by the test files of this folder as ``from _digits import ...`` (pytest puts the
test file's folder on the path).
"""
import os.path as osp
from typing import Optional, Tuple

import numpy as np
import torch
from _checkout import REPO
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.apis import get_model
from torch import Tensor, nn

from mmcausal.apis import train
from mmcausal.deployment import run_onnx

CONFIG = osp.join(REPO, 'configs', 'digits_lt', 'deconfound_resnet8_1xb32-30e_digits-lt-r100.py')
EPOCHS = 8


def train_digits(work_dir: str, classifier: str, num_heads: int) -> Tuple[str, dict]:
    """Train the demo's ResNet-8 on long-tailed digits for :data:`EPOCHS` epochs with the
    ``classifier`` variant and K = ``num_heads``; returns its checkpoint and the cfg options."""
    options = {'model.head.classifier': classifier, 'model.head.num_heads': num_heads,
               'train_cfg.max_epochs': EPOCHS, 'param_scheduler.end': EPOCHS,
               'log_level': 'ERROR'}
    checkpoint, _ = train(CONFIG, work_dir, 0, options)
    return checkpoint, options


def load_digits_model(checkpoint: str, options: dict) -> nn.Module:
    """The eval-mode model of :data:`CONFIG` with ``options`` and ``checkpoint``, on the CPU."""
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(options)
    init_default_scope('mmpretrain')
    return get_model(cfg, checkpoint, device='cpu').eval()


def held_out_images(model: nn.Module, config: str = CONFIG,
                    options: Optional[dict] = None) -> Tuple[Tensor, Tensor]:
    """The real images of the test split of ``config`` (with ``options``) after the model's
    data preprocessor, and their labels: for :data:`CONFIG`, the 500 held-out digits (50 per
    class), (500, 3, 8, 8) and (500,)."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options or {})
    init_default_scope('mmpretrain')
    images, labels = [], []
    with torch.no_grad():
        for batch in Runner.build_dataloader(cfg.test_dataloader):
            data = model.data_preprocessor(batch, False)
            images.append(data['inputs'])
            labels.append(torch.cat([sample.gt_label for sample in data['data_samples']]))
    return torch.cat(images), torch.cat(labels)


def assert_onnx_matches_tde(path: str, model: nn.Module, alpha: float,
                            images: Tensor) -> np.ndarray:
    """onnxruntime's logits of the file ``path`` for ``images`` equal, within 1e-4 and in
    their top-1, the logits of the PyTorch ``model`` whose head predicts at ``alpha`` (the
    path of ``tools/test.py``); returns them."""
    model.head.classifier.alpha = alpha
    with torch.no_grad():
        expected = model(images).numpy()
    logits, = run_onnx(path, images)
    np.testing.assert_allclose(logits, expected, rtol=0, atol=1e-4)
    assert np.array_equal(logits.argmax(1), expected.argmax(1))
    return logits
