"""The CIFAR ResNet of He et al. 2016 (Sec. 4.2) used by the long-tailed literature (LDAM, TDE)."""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.backbones.resnet import BasicBlock
from mmpretrain.registry import MODELS
from torch import Tensor, nn

STAGE_CHANNELS = (16, 32, 64)


class PadShortcut(nn.Module):
    """He et al.'s parameter-free shortcut ("option A") for a block that changes shape.

    (N, C_in, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)): every
    ``stride``-th pixel, zero channels padded equally on both sides.
    """

    def __init__(self, out_channels: int, stride: int):
        super().__init__()
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, ::self.stride, ::self.stride]
        pad = self.out_channels - x.shape[1]
        return F.pad(x, (0, 0, 0, 0, pad // 2, pad - pad // 2))


@MODELS.register_module()
class CifarResNet(BaseBackbone):
    """ResNet-(6n+2) for 32x32 images: ResNet-32 (n = 5, 0.46 M parameters) in CIFAR-LT work.

    A 3x3 conv (16 channels) + BN + ReLU stem, then three stages of n mmpretrain
    ``BasicBlock`` s with 16, 32 and 64 channels; the first block of stages 2 and 3 has
    stride 2 and a :class:`PadShortcut`. No pooling: a ``GlobalAveragePooling`` neck follows.
    With ``last_block_branches`` b > 1 the last block of stage 3 runs as b parallel copies whose
    outputs are concatenated: b = 2 is BBN's ResNet-32 (Zhou et al. 2020), the one the TDE
    authors' code trains on CIFAR-LT, whose 128 features split into the head's K = 2 groups
    one branch each.

    Args:
        depth (int): 6n + 2, e.g. 20, 32, 44, 56, 110. Defaults to 32.
        in_channels (int): Channels of the input images: 3 (RGB), 1 (grayscale, e.g.
            Fashion-MNIST). Defaults to 3.
        last_block_branches (int): Parallel copies of the last block. Defaults to 1.
        norm_cfg (dict): Norm layer config. Defaults to ``dict(type='BN', requires_grad=True)``.
        init_cfg (dict | list[dict], optional): Defaults to Kaiming conv and unit BN weights,
            like mmpretrain's ResNet.

    Shapes: (N, in_channels, H, W) -> a tuple of one (N, 64 * last_block_branches,
    ceil(H / 4), ceil(W / 4)) map.
    """

    def __init__(self,
                 depth: int = 32,
                 in_channels: int = 3,
                 last_block_branches: int = 1,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(type='Constant', val=1, layer=['_BatchNorm'])
                 ]):
        super().__init__(init_cfg)
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f'CifarResNet depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, '
                             f'110, ...), got {depth}.')
        if in_channels < 1:
            raise ValueError(f'CifarResNet in_channels must be >= 1 (3 for RGB, 1 for '
                             f'grayscale images), got {in_channels}.')
        if last_block_branches < 1:
            raise ValueError("CifarResNet last_block_branches must be >= 1 (1: He et al.'s "
                             f"ResNet, 2: BBN's), got {last_block_branches}.")
        blocks_per_stage = (depth - 2) // 6
        self.stem = ConvModule(in_channels, STAGE_CHANNELS[0], 3, padding=1, bias=False,
                               norm_cfg=norm_cfg)
        # (in_channels, channels, stride) of the blocks of each stage
        stages, in_channels = [], STAGE_CHANNELS[0]
        for index, channels in enumerate(STAGE_CHANNELS):
            stages.append([(in_channels, channels, 1 if index == 0 else 2)] +
                          [(channels, channels, 1)] * (blocks_per_stage - 1))
            in_channels = channels
        last = stages[-1].pop() if last_block_branches > 1 else None
        self.stages = nn.Sequential(*(
            nn.Sequential(*(basic_block(*spec, norm_cfg) for spec in stage)) for stage in stages))
        self.branches = None if last is None else nn.ModuleList(
            basic_block(*last, norm_cfg) for _ in range(last_block_branches))

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        x = self.stages(self.stem(x))
        if self.branches is not None:
            x = torch.cat([branch(x) for branch in self.branches], dim=1)
        return (x, )


def basic_block(in_channels: int, channels: int, stride: int, norm_cfg: dict) -> BasicBlock:
    """mmpretrain's ``BasicBlock`` with a :class:`PadShortcut` where its shape changes."""
    shortcut = PadShortcut(channels, stride) if stride != 1 or in_channels != channels else None
    return BasicBlock(in_channels, channels, stride=stride, downsample=shortcut,
                      norm_cfg=norm_cfg)
