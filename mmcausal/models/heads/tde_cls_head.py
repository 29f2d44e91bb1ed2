"""mmpretrain head: de-confounded training and Total Direct Effect prediction."""
from typing import Optional, Tuple

import torch
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS

from mmcausal.causal import CausalClassifier


@MODELS.register_module()
class TDEClsHead(ClsHead):
    """Classification head of Tang et al. (NeurIPS 2020) over the last-stage feature.

    The feature x (N, in_channels), e.g. after ``GlobalAveragePooling``, is scored by a
    :class:`~mmcausal.causal.CausalClassifier` into (N, num_classes) logits:

    - training: the de-confounded logits z (paper Eq. 7 for ``'deconfound'``), with the detached
      features recorded in the head direction that
      :class:`~mmcausal.engine.HeadDirectionHook` updates after each optimizer step;
    - evaluation: the TDE logits ``z - alpha * c`` (Eq. 8) when ``alpha > 0``, else z.

    ``loss`` and ``predict`` are ClsHead's, so ``pred_score`` is the softmax of those logits.
    The classifier runs in fp32 outside any autocast region, so the logits and the loss are fp32
    under mixed-precision training.

    Args:
        num_classes (int): Number of categories, > 0.
        in_channels (int): Feature size C, divisible by ``num_heads``.
        classifier (str): ``'linear' | 'cosine' | 'capsule' | 'deconfound'``.
            Defaults to ``'deconfound'``.
        num_heads (int): K, the number of channel groups. Defaults to 2.
        tau (float): Logit scale, > 0. Defaults to 16.
        gamma (float): Weight-norm offset of ``'deconfound'``, >= 0. Defaults to 1/32.
        alpha (float): TDE strength at prediction, >= 0. Defaults to 0, which predicts with z
            and is the only value ``'linear'`` allows; the paper uses 3.0 on ImageNet-LT.
            Change it at test time with ``--cfg-options model.head.alpha=3.0``.
        init_cfg (dict, optional): Initialization config. Defaults to None, which keeps the
            classifier's uniform(+-1/sqrt(C)) weight and zero bias.
        **kwargs: ``loss``, ``topk`` and ``cal_acc`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 classifier: str = 'deconfound',
                 num_heads: int = 2,
                 tau: float = 16.0,
                 gamma: float = 1 / 32,
                 alpha: float = 0.0,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'TDEClsHead: num_classes={num_classes} must be a positive integer')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.classifier = CausalClassifier(in_channels, num_classes, classifier, num_heads, tau,
                                           gamma, alpha, field_prefix='TDEClsHead')

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Last-stage features (N, in_channels) -> (N, num_classes) logits (z or TDE)."""
        pre_logits = self.pre_logits(feats)
        if pre_logits.dim() != 2 or pre_logits.shape[1] != self.in_channels:
            raise ValueError(f'TDEClsHead: expected features of shape (N, {self.in_channels}), got '
                             f'{tuple(pre_logits.shape)}; pool them with a neck such as '
                             "dict(type='GlobalAveragePooling') and set in_channels to their size")
        if self.training:
            self.classifier.direction.record(pre_logits)
        # The normalized classifier, and so the loss, stay fp32 under mixed precision
        # (CPUAmpOptimWrapper, AmpOptimWrapper): bf16 would round the per-group norms.
        with torch.autocast(pre_logits.device.type, enabled=False):
            return self.classifier(pre_logits.float())
