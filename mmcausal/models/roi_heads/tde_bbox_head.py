"""mmdet bbox head: de-confounded training and background-exempted TDE inference."""
from typing import List, Optional

import torch
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from mmcausal.causal import CausalClassifier, background_exempted_scores

_NAME = 'TDEShared2FCBBoxHead'


class TDERoIClassifier(CausalClassifier):
    """``fc_cls`` of :class:`TDEShared2FCBBoxHead`: a :class:`~mmcausal.causal.CausalClassifier`
    over num_classes + 1 classes (background LAST) whose eval-mode output is probabilities.

    - training: the de-confounded logits z (Eq. 7); the detached input rows are kept until the
      head's :meth:`~TDEShared2FCBBoxHead.record_foreground` takes them (:meth:`pop_features`).
    - eval: class probabilities (N, num_classes + 1), see :meth:`probabilities`.

    Its parameters and buffers are CausalClassifier's, so the state dict keys are too
    (``weight``, ``bias`` for ``'linear'``, ``direction.direction``).

    Args:
        *args, **kwargs: Those of :class:`~mmcausal.causal.CausalClassifier`.
        background_exempted (bool): Keep the background probability of z (Eq. 9).
    """

    def __init__(self, *args, background_exempted: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.background_exempted = background_exempted
        self._features: Optional[Tensor] = None

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) shared features -> z (N, M) in training, probabilities (N, M) in eval mode."""
        if self.training:
            self._features = x.detach()
            return super().forward(x)
        return self.probabilities(x)

    def probabilities(self, x: Tensor) -> Tensor:
        """Test-time class probabilities (N, M) of shared features x (N, C).

        softmax(z) while TDE is off (``alpha == 0``, or no head direction yet); else Eq. 9,
        ``[(1 - p_bg) q_i / (1 - q_bg), p_bg]`` with p = softmax(z) and q = softmax(z - alpha * c)
        (Eq. 8), with ``background_exempted``, and softmax(TDE) without (the paper's Table 5).
        """
        if self.background_exempted and self.tde_active():
            z, c = self.logit_terms(x)
            return background_exempted_scores(z, z - self.alpha * c)
        return super().forward(x).softmax(dim=-1)

    def pop_features(self) -> Optional[Tensor]:
        """The detached input of the last training forward (None if none), released."""
        features, self._features = self._features, None
        return features


@MODELS.register_module()
class TDEShared2FCBBoxHead(Shared2FCBBoxHead):
    """``Shared2FCBBoxHead`` whose classifier is a :class:`~mmcausal.causal.CausalClassifier`.

    The RoI feature (N, in_channels, S, S) passes the two shared FCs to x (N, fc_out_channels)
    in mmdet's ``ConvFCBBoxHead.forward``; ``fc_reg`` regresses boxes from x as in mmdet, and
    ``fc_cls`` (a :class:`TDERoIClassifier`) scores the num_classes + 1 classes (background LAST,
    mmdet's convention) of Tang et al. (NeurIPS 2020):

    - training: ``cls_score`` is the de-confounded logits z (paper Eq. 7 for ``'deconfound'``),
      trained with the configured softmax cross-entropy. :meth:`loss_and_target` records the
      features of the FOREGROUND RoIs (label < num_classes) in the head direction, which
      :class:`~mmcausal.engine.HeadDirectionHook` folds in after each optimizer step; a batch
      without foreground leaves it unchanged.
    - testing: ``cls_score`` holds class probabilities (N, num_classes + 1), see
      :meth:`TDERoIClassifier.probabilities`: with ``background_exempted`` the
      background-exempted TDE scores of Eq. 9, ``[(1 - p_bg) q_i / (1 - q_bg), p_bg]`` with
      p = softmax(z) and q = softmax(z - alpha * c) (Eq. 8), else softmax(TDE) (the paper's
      Table 5 ablation). ``CascadeRoIHead`` averages these probabilities over its stages, and
      :meth:`_predict_by_feat_single` does not apply a second softmax to them.

    Args:
        classifier (str): ``'linear' | 'cosine' | 'capsule' | 'deconfound'``.
            Defaults to ``'deconfound'``.
        num_heads (int): K, the number of channel groups; divides ``fc_out_channels``.
            Defaults to 2.
        tau (float): Logit scale, > 0. Defaults to 16.
        gamma (float): Weight-norm offset of ``'deconfound'``, >= 0. Defaults to 1/32.
        alpha (float): TDE strength at test time, >= 0. Defaults to 0 (predict with z), the
            only value ``'linear'`` allows; the paper uses 1.5 on LVIS.
        background_exempted (bool): Keep the background probability of z (Eq. 9).
            Defaults to True.
        init_cfg (dict | list[dict], optional): Defaults to None: mmdet's initialization of
            ``Shared2FCBBoxHead``, except that a normalized classifier keeps its own
            uniform(+-1/sqrt(C)) weight.
        **kwargs: The other arguments of ``Shared2FCBBoxHead`` (``num_classes``,
            ``fc_out_channels``, ``in_channels``, ``bbox_coder``, ``loss_cls``, ...).
    """

    def __init__(self,
                 classifier: str = 'deconfound',
                 num_heads: int = 2,
                 tau: float = 16.0,
                 gamma: float = 1 / 32,
                 alpha: float = 0.0,
                 background_exempted: bool = True,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        if not self.with_cls:
            raise ValueError(f'{_NAME}: with_cls=False leaves nothing to de-confound; use '
                             "mmdet's Shared2FCBBoxHead for a regression-only head")
        if self.custom_cls_channels or getattr(self.loss_cls, 'use_sigmoid', False):
            raise ValueError(f'{_NAME}: loss_cls={type(self.loss_cls).__name__} must be a softmax '
                             'loss over num_classes + 1 logits; use '
                             "dict(type='CrossEntropyLoss', use_sigmoid=False)")
        # Not cls_predictor_cfg: BBoxHead also builds it for in_channels*S*S, which K may not divide
        self.fc_cls = TDERoIClassifier(self.cls_last_dim, self.num_classes + 1, classifier,
                                       num_heads, tau, gamma, alpha, field_prefix=_NAME,
                                       channels_field='fc_out_channels',
                                       background_exempted=background_exempted)
        if init_cfg is None and not self.fc_cls.is_linear:
            # BBoxHead's default init_cfg draws fc_cls from Normal(0, 0.01), whatever fc_cls is;
            # a normalized classifier keeps its own uniform init, so that entry is dropped.
            self.init_cfg = [cfg for cfg in self.init_cfg if cfg['override'] != dict(name='fc_cls')]

    @property
    def background_exempted(self) -> bool:
        """Whether test scores keep the background probability of z (Eq. 9)."""
        return self.fc_cls.background_exempted

    @background_exempted.setter
    def background_exempted(self, value: bool) -> None:
        self.fc_cls.background_exempted = value

    def loss_and_target(self,
                        cls_score: Tensor,
                        bbox_pred: Tensor,
                        rois: Tensor,
                        sampling_results: List[SamplingResult],
                        rcnn_train_cfg: ConfigDict,
                        concat: bool = True,
                        reduction_override: Optional[str] = None) -> dict:
        """mmdet's losses and targets; records the foreground RoIs of the last forward.

        The RoI rows of ``cls_score`` follow ``sampling_results`` image by image, as do the
        labels of ``get_targets``, so row j of the features has label ``labels[j]``.
        """
        loss_and_target = super().loss_and_target(cls_score, bbox_pred, rois, sampling_results,
                                                  rcnn_train_cfg, concat, reduction_override)
        labels = loss_and_target['bbox_targets'][0]
        self.record_foreground(labels if concat else torch.cat(labels))
        return loss_and_target

    def record_foreground(self, labels: Tensor) -> None:
        """Record the features of the last training forward whose label is foreground.

        Foreground is ``0 <= label < num_classes`` (class 0 included); the background label is
        ``num_classes``. The kept features are released, so each forward is recorded once.
        """
        features = self.fc_cls.pop_features()
        if features is None or len(features) != len(labels):
            raise RuntimeError(f'{_NAME}: loss_and_target() needs the RoI features of the '
                               'training-mode forward() that produced cls_score (got '
                               f'{None if features is None else len(features)} feature rows for '
                               f'{len(labels)} labels)')
        foreground = (labels >= 0) & (labels < self.num_classes)
        self.fc_cls.direction.record(features[foreground])

    def _predict_by_feat_single(self,
                                roi: Tensor,
                                cls_score: Tensor,
                                bbox_pred: Tensor,
                                img_meta: dict,
                                rescale: bool = False,
                                rcnn_test_cfg: Optional[ConfigDict] = None) -> InstanceData:
        """mmdet's box decoding and NMS, scoring with the probabilities ``cls_score`` as is.

        ``cls_score`` (N, num_classes + 1) holds probabilities (from :meth:`forward`, averaged
        over stages by ``CascadeRoIHead``). ``BBoxHead`` takes a softmax of what it is given,
        and softmax(log p) = p for rows of p that sum to 1, so it gets log p: its decoding, NMS
        and ``max_per_img`` run unchanged on p (to float rounding), with no second softmax of
        the probabilities.
        """
        return super()._predict_by_feat_single(roi, cls_score.log(), bbox_pred, img_meta,
                                               rescale, rcnn_test_cfg)
