import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmcausal.models.backbones import CifarResNet


def hand_parameter_count(depth: int) -> int:
    """3x3 convs without bias, BN with weight and bias, parameter-free shortcuts."""
    n = (depth - 2) // 6
    total = 3 * 16 * 9 + 2 * 16  # stem conv + BN
    in_channels = 16
    for channels in (16, 32, 64):
        for _ in range(n):
            total += in_channels * channels * 9 + 2 * channels  # conv1 + BN1
            total += channels * channels * 9 + 2 * channels  # conv2 + BN2
            in_channels = channels
    return total


def test_resnet32_parameter_count():
    assert hand_parameter_count(32) == 463_504
    net = CifarResNet(depth=32)
    assert sum(p.numel() for p in net.parameters()) == 463_504
    # with the 10-way linear classifier the literature's "0.46 M"
    assert 463_504 + 64 * 10 + 10 == 464_154
    # ResNet-20, with a 10-way classifier 269,722: He et al.'s "0.27 M"
    assert sum(p.numel() for p in CifarResNet(depth=20).parameters()) == \
        hand_parameter_count(20) == 269_072


@pytest.mark.parametrize('size, out', [(32, 8), (30, 8), (8, 2)])
def test_output_shape(size, out):
    feats = CifarResNet(depth=8)(torch.rand(2, 3, size, size))
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (2, 64, out, out)


def reference_forward(net: CifarResNet, x: torch.Tensor) -> torch.Tensor:
    """He et al.'s CIFAR ResNet written with torch.nn.functional, the net's weights, eval BN."""

    def bn(t, norm):
        return F.batch_norm(t, norm.running_mean, norm.running_var, norm.weight, norm.bias,
                            eps=norm.eps)

    out = F.relu(bn(F.conv2d(x, net.stem.conv.weight, padding=1), net.stem.bn))
    for stage in net.stages:
        for block in stage:
            stride = block.conv1.stride[0]
            y = F.relu(bn(F.conv2d(out, block.conv1.weight, stride=stride, padding=1),
                          block.norm1))
            y = bn(F.conv2d(y, block.conv2.weight, padding=1), block.norm2)
            shortcut = out[:, :, ::stride, ::stride]
            extra = y.shape[1] - shortcut.shape[1]  # zero channels, half on each side
            zeros = shortcut.new_zeros(shortcut.shape[0], extra // 2, *shortcut.shape[2:])
            shortcut = torch.cat([zeros, shortcut, zeros], dim=1)
            out = F.relu(y + shortcut)
    return out


def test_matches_functional_reference():
    torch.manual_seed(0)
    net = CifarResNet(depth=14)
    net.init_weights()
    for module in net.modules():  # non-trivial BN statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.bias.data.uniform_(-0.2, 0.2)
    net.eval()
    x = torch.randn(2, 3, 16, 16)
    strides = [[block.conv1.stride[0] for block in stage] for stage in net.stages]
    assert strides == [[1, 1], [2, 1], [2, 1]]
    torch.testing.assert_close(net(x)[0], reference_forward(net, x))


def test_classifier_forward_and_backward():
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64)))
    logits = model(torch.rand(4, 3, 32, 32))
    assert logits.shape == (4, 10)
    logits.sum().backward()
    assert model.backbone.stem.conv.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('depth', [18, 30, 2])
def test_depth_must_be_6n_plus_2(depth):
    with pytest.raises(ValueError, match=f'depth must be 6n \\+ 2 .* got {depth}'):
        CifarResNet(depth=depth)


def test_grayscale_stem():
    """in_channels=1 (Fashion-MNIST): the stem conv has 1 x 16 x 3 x 3 weights, 288 fewer than
    with RGB input; a 28x28 image gives a 7x7 map."""
    net = CifarResNet(depth=32, in_channels=1)
    assert net.stem.conv.weight.shape == (16, 1, 3, 3)
    assert sum(p.numel() for p in net.parameters()) == 463_504 - 2 * 16 * 9
    assert net(torch.rand(2, 1, 28, 28))[0].shape == (2, 64, 7, 7)


def test_in_channels_must_be_positive():
    with pytest.raises(ValueError, match='in_channels must be >= 1 .* got 0'):
        CifarResNet(depth=8, in_channels=0)


def test_two_last_block_branches_are_bbn_resnet32():
    """BBN's ResNet-32 (the TDE authors' CIFAR backbone): stage 3 keeps 4 blocks and its last
    block runs as two parallel copies, concatenated: one more 64-channel block than ResNet-32
    and 128 features, each half one branch's output; the default keeps its parameter names."""
    plain, bbn = CifarResNet(depth=32), CifarResNet(depth=32, last_block_branches=2)
    extra_block = 2 * (64 * 64 * 9 + 2 * 64)  # two 3x3 convs and BNs, no shortcut
    assert sum(p.numel() for p in bbn.parameters()) == 463_504 + extra_block == 537_488
    assert [len(stage) for stage in bbn.stages] == [5, 5, 4] and len(bbn.branches) == 2
    assert 'stages.2.4.conv1.weight' in plain.state_dict() and plain.branches is None
    bbn.eval()
    x = torch.rand(2, 3, 32, 32)
    features = bbn(x)[0]
    assert features.shape == (2, 128, 8, 8)
    trunk = bbn.stages(bbn.stem(x))
    torch.testing.assert_close(features[:, 64:], bbn.branches[1](trunk))
    with pytest.raises(ValueError, match="last_block_branches must be >= 1 .* got 0"):
        CifarResNet(depth=8, last_block_branches=0)
