"""CPUAmpOptimWrapper: bf16 autocast training on the CPU with fp32 weights, head and loss."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS, OPTIM_WRAPPERS

import mmcausal  # noqa: F401
from mmcausal.engine import cpu_has_native_bf16

needs_bf16 = pytest.mark.skipif(not cpu_has_native_bf16(),
                                reason='this CPU has no bf16 instructions (AVX512-BF16 or AMX)')


def small_classifier() -> torch.nn.Module:
    init_default_scope('mmpretrain')
    return MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='TDEClsHead', num_classes=10, in_channels=64)))


@needs_bf16
def test_bf16_forward_with_fp32_head_loss_and_direction():
    torch.manual_seed(0)
    model = small_classifier()
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='CPUAmpOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    images = torch.randn(4, 3, 32, 32)
    features = []
    model.head.register_forward_pre_hook(lambda module, args: features.append(args[0][-1]))
    with wrapper.optim_context(model):
        logits = model.head(model.neck(model.backbone(images)))
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 3]))
    assert features[0].dtype == torch.bfloat16  # the backbone ran in bf16
    assert logits.dtype == loss.dtype == torch.float32
    wrapper.update_params(loss)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(p.grad is None or p.grad.dtype == torch.float32 for p in model.parameters())
    assert model.head.classifier.direction.vector.dtype == torch.float32
    conv = model.backbone.stem.conv.weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()


@needs_bf16
def test_head_logits_match_fp32_under_autocast():
    """The head leaves autocast: its logits from the same features are the fp32 ones."""
    torch.manual_seed(0)
    head = small_classifier().head.eval()
    features = (torch.randn(5, 64), )
    with torch.autocast('cpu', dtype=torch.bfloat16):
        under_autocast = head(features)
    assert torch.equal(under_autocast, head(features))


def test_refuses_a_cpu_without_bf16(monkeypatch):
    monkeypatch.setattr('mmcausal.engine.optimizers.cpu_amp_optim_wrapper.cpu_has_native_bf16',
                        lambda: False)
    model = torch.nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="train in fp32 with optim_wrapper.type='OptimWrapper'"):
        OPTIM_WRAPPERS.build(dict(type='CPUAmpOptimWrapper',
                                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
