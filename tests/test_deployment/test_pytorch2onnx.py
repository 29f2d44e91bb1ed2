"""tools/deployment/pytorch2onnx.py: the exported file predicts as PyTorch on real images."""
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from _checkout import REPO, checkout_env
from _digits import CONFIG, assert_onnx_matches_tde, held_out_images
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.apis import get_model

from mmcausal.apis import data_root_options, tiny_run_options

TOOL = osp.join(REPO, 'tools', 'deployment', 'pytorch2onnx.py')


def export(*args) -> subprocess.CompletedProcess:
    """Run the tool of this checkout."""
    return subprocess.run([sys.executable, TOOL, *map(str, args)], cwd=REPO, env=checkout_env(),
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize('alpha', [None, 1.0])
def test_exported_top1_equals_pytorch_on_real_images(trained_digits, alpha, tmp_path):
    model, checkpoint = trained_digits('deconfound', 2)
    out = tmp_path / 'model.onnx'
    flags = [] if alpha is None else ['--alpha', alpha]

    result = export(CONFIG, checkpoint, '--out', out, '--shape', 8, 8, *flags)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    baked = 0.0 if alpha is None else alpha  # the config's model.head.alpha is 0
    assert f"alpha baked in: {baked:g} (classifier='deconfound', K=2; " in result.stdout
    assert re.search(r'model\.onnx \(\d+\.\d\d MiB, opset 18\): inputs \(\?, 3, \?, \?\), '
                     r'logits \(\?, 10\)', result.stdout), result.stdout
    difference = re.search(r'max \|logit difference\| (\S+), same top-1: True', result.stdout)
    assert difference and float(difference.group(1)) < 1e-4, result.stdout
    images, _ = held_out_images(model)
    assert_onnx_matches_tde(str(out), model, baked, images)


def test_a_checkpoint_without_head_direction_is_refused_for_tde(trained_digits, tmp_path):
    _, checkpoint = trained_digits('deconfound', 2)
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)
    del state['state_dict']['head.classifier.direction.direction']
    stripped = tmp_path / 'no_direction.pth'
    torch.save(state, stripped)

    result = export(CONFIG, stripped, '--out', tmp_path / 'm.onnx', '--alpha', 1)

    assert result.returncode != 0
    assert f'{stripped} has no head direction' in result.stderr
    assert 'with --alpha 0' in result.stderr
    assert not (tmp_path / 'm.onnx').exists()


def test_alpha_for_the_linear_classifier_names_the_fix(trained_digits, tmp_path):
    _, checkpoint = trained_digits('linear', 2)
    linear_config = CONFIG.replace('deconfound_', 'linear_')

    result = export(linear_config, checkpoint, '--out', tmp_path / 'm.onnx', '--alpha', 1)

    assert result.returncode != 0
    assert "--alpha 1: TDEClsHead: alpha=1.0 needs a normalized classifier" in result.stderr


def test_a_cifar_config_exports_without_shape(cifar10_jpg_tiny, tmp_path):
    """A config of configs/cifar10_jpg_lt/ (ResNet-32, alpha 1) traced at the default 224 x 224
    predicts the real 32 x 32 CIFAR-10 test images as PyTorch does, at the config's alpha and
    at --alpha 0. The checkpoint holds initial weights and, as HeadDirectionHook would record
    it, the mean feature of those images as head direction."""
    config = osp.join(REPO, 'configs', 'cifar10_jpg_lt',
                      'deconfound-tde_resnet32_1xb128-onecycle-8e_cifar10-jpg-lt-r100.py')
    cfg = Config.fromfile(config)
    init_default_scope('mmpretrain')
    model = get_model(cfg, device='cpu').eval()
    options = dict(data_root_options(config, cifar10_jpg_tiny), **tiny_run_options())
    images, _ = held_out_images(model, config, options)
    assert images.shape == (250, 3, 32, 32)
    with torch.no_grad():
        model.head.classifier.direction.vector.copy_(
            model.head.pre_logits(model.extract_feat(images)).mean(0))
    checkpoint = tmp_path / 'resnet32.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)

    for alpha in (1.0, 0.0):  # the config's alpha (no flag), then --alpha 0
        out = tmp_path / f'alpha{alpha}.onnx'
        result = export(config, checkpoint, '--out', out, *(['--alpha', 0] if alpha == 0 else []))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert f'alpha baked in: {alpha:g} ' in result.stdout
        assert_onnx_matches_tde(str(out), model, alpha, images)
