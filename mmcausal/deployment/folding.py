"""Trained TDE models frozen at one alpha, as plain linear algebra that any exporter takes.

At test time the head direction is fixed, so TDE (paper Eq. 8) is linear in the normalized
feature n(x): ``TDE = n(x) @ v.T`` with the folded weight ``v = w^ - alpha (w^ . d^) d^`` per
group (:meth:`~mmcausal.causal.CausalClassifier.folded_weight`). :class:`FoldedClassifier` holds
``v`` as a constant, so a deployed classifier is the backbone, the neck, a per-group
normalization and one matrix product; :class:`FoldedRoIScores` adds Eq. 9 for detection.
:func:`deployable_classifier` and :func:`deployable_roi_head` swap them into copies of trained
mmpretrain / mmdet models, whose own ``forward`` then computes what is exported.
"""
import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmcausal.causal import VARIANTS, CausalClassifier, background_exempted_scores


class FoldedClassifier(nn.Module):
    """A :class:`~mmcausal.causal.CausalClassifier` frozen at ``alpha``: (N, C) -> (N, M) logits.

    Normalized variants: ``n(x) @ v.T``, with n the variant's per-group normalization (Eq. 7,
    Eq. 10) and ``v`` the classifier's folded weight at ``alpha`` (Eq. 8; z when ``alpha == 0``).
    ``'linear'``: ``x @ w.T + b``. The weights are buffers copied at construction, so the module
    has no parameters and later changes to ``classifier`` do not reach it.

    Args:
        classifier (CausalClassifier): The trained classifier; it is not modified.
        alpha (float): TDE strength, >= 0; 0 gives the de-confounded logits z, the only value
            ``'linear'`` allows. ``alpha > 0`` needs the head direction recorded in training.

    Attributes:
        weight (Tensor): ``v`` (M, C), already scaled by tau / K; ``w`` for ``'linear'``.
        bias (Tensor | None): (M,) for ``'linear'``, else None.
    """

    def __init__(self, classifier: CausalClassifier, alpha: float) -> None:
        super().__init__()
        frozen = copy.deepcopy(classifier).eval()
        frozen.alpha = alpha  # checks alpha >= 0, and alpha == 0 for 'linear'
        if alpha > 0 and frozen.direction.is_zero:
            raise ValueError(f'FoldedClassifier: alpha={alpha} needs the head direction, which is '
                             'zero in this classifier (a checkpoint trained without '
                             'HeadDirectionHook?); fold a classifier trained with '
                             'HeadDirectionHook, or alpha=0 for the de-confounded logits')
        self.num_heads = frozen.num_heads
        self.normalization = VARIANTS[frozen.variant]
        with torch.no_grad():
            weight = frozen.weight if frozen.is_linear else frozen.folded_weight()
            self.register_buffer('weight', weight.detach().clone())
            bias = frozen.bias.detach().clone() if frozen.is_linear else None
            self.register_buffer('bias', bias)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) features -> (N, M) logits, TDE at the folded alpha."""
        if self.normalization is None:
            return F.linear(x, self.weight, self.bias)
        return self.normalization.normalize_features(x, self.num_heads) @ self.weight.t()


class FoldedRoIScores(nn.Module):
    """:meth:`TDERoIClassifier.probabilities
    <mmcausal.models.roi_heads.tde_bbox_head.TDERoIClassifier.probabilities>` at a fixed alpha:
    (N, C) shared RoI features -> (N, M) class probabilities, background LAST.

    With ``background_exempted`` and ``alpha > 0``, Eq. 9: ``background_exempted_scores(z, TDE)``
    with z and TDE two :class:`FoldedClassifier` matmuls (alpha 0 and ``alpha``); else the
    softmax of the folded logits (softmax(z) at ``alpha == 0``, softmax(TDE) without exemption).

    Args:
        classifier (CausalClassifier): The trained ``fc_cls`` of a bbox head; not modified.
        alpha (float): TDE strength, >= 0.
        background_exempted (bool): Keep the background probability of z (Eq. 9).
    """

    def __init__(self, classifier: CausalClassifier, alpha: float,
                 background_exempted: bool) -> None:
        super().__init__()
        self.tde = FoldedClassifier(classifier, alpha)
        exempted = background_exempted and alpha > 0
        self.z = FoldedClassifier(classifier, 0.0) if exempted else None

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) shared RoI features -> (N, M) probabilities; each row sums to 1."""
        if self.z is None:
            return self.tde(x).softmax(dim=-1)
        return background_exempted_scores(self.z(x), self.tde(x))


def deployable_classifier(model: nn.Module, alpha: float) -> nn.Module:
    """An eval-mode copy of an mmpretrain ``ImageClassifier`` with ``TDEClsHead`` whose
    classifier is a :class:`FoldedClassifier` at ``alpha``.

    Its ``forward`` (mmpretrain's ``mode='tensor'``) maps preprocessed images (N, 3, H, W),
    i.e. the output of the model's ``data_preprocessor``, through backbone, neck and head to
    (N, num_classes) logits. ``model`` is not modified.
    """
    classifier = getattr(getattr(model, 'head', None), 'classifier', None)
    if not isinstance(classifier, CausalClassifier):
        raise ValueError(f'model.head is {type(getattr(model, "head", None)).__name__}, not a '
                         "TDEClsHead: fold an mmpretrain classifier with head=dict(type="
                         "'TDEClsHead', ...)")
    deployed = copy.deepcopy(model).eval()
    deployed.head.classifier = FoldedClassifier(classifier, alpha)
    return deployed


def deployable_roi_head(bbox_head: nn.Module, alpha: float) -> nn.Module:
    """An eval-mode copy of a ``TDEShared2FCBBoxHead`` whose ``fc_cls`` is a
    :class:`FoldedRoIScores` at ``alpha`` (with the head's ``background_exempted``).

    Its ``forward`` maps RoI features (N, in_channels, S, S) through the shared FCs to the
    class probabilities (N, num_classes + 1) and the box deltas of ``fc_reg``, as the head does
    in eval mode. ``bbox_head`` is not modified.
    """
    fc_cls = getattr(bbox_head, 'fc_cls', None)
    if not isinstance(fc_cls, CausalClassifier):
        raise ValueError(f'bbox_head is {type(bbox_head).__name__}, not a TDEShared2FCBBoxHead: '
                         "fold a head with bbox_head=dict(type='TDEShared2FCBBoxHead', ...)")
    deployed = copy.deepcopy(bbox_head).eval()
    deployed.fc_cls = FoldedRoIScores(fc_cls, alpha, bbox_head.background_exempted)
    return deployed
