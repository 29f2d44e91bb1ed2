"""A trained classifier and one split, loaded for offline analysis of its TDE head.

:func:`load_for_analysis` builds the model of a config with a checkpoint (mmpretrain's
``get_model``) and the dataloader and ``LongTailAccuracy`` of its val or test split (the
Runner's ``build_dataloader``); :func:`head_features` forwards the split once to the classifier
inputs x = ``head.pre_logits(model.extract_feat(inputs))``; :func:`split_terms` turns them into
the two terms ``z, c`` of a post-hoc correction ``z - v c`` (TDE, paper Eq. 8, for a de-confound
model; logit adjustment for a linear one), and :func:`sweep_checkpoint` scores a grid of alphas
with :func:`~mmcausal.evaluation.alpha_sweep.sweep_alphas`; :func:`class_removal` is what TDE
takes from each class. ``tools/analysis/sweep_alpha.py``, ``choose_correction.py``,
``feature_stats.py`` and ``tde_correction_shape.py``, :mod:`mmcausal.apis.protocol_scoring` and
``benchmarks/sweep_speed.py`` are built on these. Errors name the arguments (``split='val'``);
the tools validate their own flags.
"""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.utils import ProgressBar
from mmpretrain.apis import get_model
from mmpretrain.registry import METRICS
from torch import Tensor, nn
from torch.utils.data import DataLoader

from mmcausal.causal import CausalClassifier
from mmcausal.datasets import train_set_counts
from mmcausal.evaluation import LongTailAccuracy
from mmcausal.evaluation.alpha_sweep import sweep_alphas
from mmcausal.evaluation.logit_adjustment import log_prior

SPLITS = ('val', 'test')


def head_classifier(model: nn.Module, tde: bool = True) -> CausalClassifier:
    """The :class:`CausalClassifier` of ``model.head`` (a ``TDEClsHead``), checked for analysis.

    Its head direction must be non-zero (recorded in training by ``HeadDirectionHook``), and
    with ``tde`` its classifier must be a normalized one, for which TDE is defined.
    """
    head = getattr(model, 'head', None)
    classifier = getattr(head, 'classifier', None)
    if not isinstance(classifier, CausalClassifier):
        raise ValueError(f'model.head is {type(head).__name__}, not a TDEClsHead: the analysis '
                         "needs an mmpretrain classifier with head=dict(type='TDEClsHead', ...) "
                         '(for mmdet detectors see tools/analysis/sweep_alpha.py, Detection)')
    if tde and classifier.is_linear:
        raise ValueError("model.head has classifier='linear', for which TDE is undefined; sweep "
                         "a model trained with classifier='deconfound', 'cosine' or 'capsule'")
    if classifier.direction.is_zero:
        raise ValueError('the head direction of the checkpoint is zero, so TDE and cos(x, d) are '
                         'undefined: load a checkpoint trained with HeadDirectionHook (the '
                         'configs of mmcausal add it) and check the checkpoint path')
    return classifier


def split_data(cfg: Config, split: str) -> Tuple[DataLoader, LongTailAccuracy]:
    """The dataloader of ``cfg.{split}_dataloader`` and the LongTailAccuracy of its evaluator.

    The dataloader is built by ``Runner.build_dataloader`` (the registries' default scope must
    be set); the metric from ``cfg.{split}_evaluator`` with ``dataset_meta`` set to the
    dataset's metainfo, as the Runner's evaluator does.
    """
    if split not in SPLITS:
        raise ValueError(f'split={split!r}: choose one of {SPLITS}')
    if cfg.get(f'{split}_dataloader') is None or cfg.get(f'{split}_evaluator') is None:
        raise ValueError(f'split={split!r}: the config has no {split}_dataloader and '
                         f'{split}_evaluator; choose a split it defines')
    evaluator = cfg.get(f'{split}_evaluator')
    metrics = [METRICS.build(metric) for metric in
               (evaluator if isinstance(evaluator, (list, tuple)) else [evaluator])]
    long_tail = [metric for metric in metrics if isinstance(metric, LongTailAccuracy)]
    if not long_tail:
        raise ValueError(f'split={split!r}: {split}_evaluator of the config has no '
                         f'LongTailAccuracy (it has {[type(m).__name__ for m in metrics]}); '
                         "choose a split it scores, e.g. split='val' for the CIFAR-LT configs")
    dataloader = Runner.build_dataloader(cfg.get(f'{split}_dataloader'))
    metric = long_tail[0]
    metric.dataset_meta = dataloader.dataset.metainfo
    if not metric.has_class_counts:  # as TrainClassCountsHook does for tools/test.py
        metric.set_train_class_counts(*train_set_counts(cfg.get('train_dataloader')))
    return dataloader, metric


def load_for_analysis(config: str, checkpoint: str, split: str, cfg_options: Optional[dict] = None,
                      tde: bool = True) -> Tuple[nn.Module, DataLoader, LongTailAccuracy]:
    """The eval-mode model of ``config`` with ``checkpoint``, and the split's data and metric.

    ``cfg_options`` are merged into the config first, as ``tools/test.py`` does. The model is
    built and loaded (mmengine's ``load_checkpoint``) by mmpretrain's ``get_model``, on the GPU
    when there is one, and checked by :func:`head_classifier` (with ``tde``) before the data of
    :func:`split_data` is built.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope != 'mmpretrain':
        raise ValueError(f'config={config!r} is an {scope} config; the analysis takes '
                         'mmpretrain classifiers (for mmdet detectors see '
                         'tools/analysis/sweep_alpha.py, Detection)')
    init_default_scope(scope)
    model = get_model(cfg, checkpoint, device='cuda' if torch.cuda.is_available() else 'cpu')
    head_classifier(model, tde)
    return (model, *split_data(cfg, split))


@torch.no_grad()
def head_features(model: nn.Module, dataloader: DataLoader) -> Tuple[Tensor, Tensor]:
    """One pass of ``dataloader`` through an eval-mode ``ImageClassifier`` up to its head.

    Each batch goes ``data_preprocessor -> extract_feat -> head.pre_logits``, the path of
    ``model.test_step``, with a progress bar over the samples.

    Returns:
        tuple[Tensor, Tensor]: The classifier inputs x (N, C) and the true labels (N,), in the
        dataloader's order, on the model's device.
    """
    progress = ProgressBar(len(dataloader.dataset))
    features, labels = [], []
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        features.append(model.head.pre_logits(model.extract_feat(data['inputs'])))
        labels.append(torch.cat([sample.gt_label for sample in data['data_samples']]))
        progress.update(len(data['data_samples']))
    return torch.cat(features), torch.cat(labels).to(features[0].device)


class ClassRemoval(NamedTuple):
    """What TDE (Eq. 8, ``TDE(alpha) = z - alpha * c``) takes from each class's logit per unit
    alpha, with n(x_k) the normalized feature group k (x_k / ||x_k|| for de-confound) and d_k
    the unit head direction.

    Attributes:
        per_group (Tensor): Per channel group k, the logit removed from class i per unit
            ``alpha * <n(x_k), d_k>`` (``alpha * cos(x_k, d_k)`` for de-confound):
            ``(tau/K) w_ik.d_k / W(||w_ik||)``, (M, K).
        mean (Tensor): c_i averaged over the samples, ``sum_k mean_n <n(x_nk), d_k>
            per_group[i, k]``: the logit removed from class i per unit alpha, (M,).
    """
    per_group: Tensor
    mean: Tensor


@torch.no_grad()
def class_removal(classifier: CausalClassifier, features: Tensor) -> ClassRemoval:
    """The :class:`ClassRemoval` of a normalized classifier on the features x (N, C) of a split
    (:func:`head_features`)."""
    if classifier.is_linear:
        raise ValueError("classifier='linear' has no TDE removal; give a model trained with "
                         "classifier='deconfound', 'cosine' or 'capsule'")
    weight = classifier.normalized_weight()
    mean_feature = classifier.normalize_features(features).mean(0)
    return ClassRemoval(classifier.direction_coefficients(weight),
                        classifier.direction_projection(weight) @ mean_feature)


def head_to_tail(train_counts: Sequence[int]) -> List[int]:
    """The classes ranked by their training images, most first; ties keep the class order."""
    return np.argsort(-np.asarray(train_counts), kind='stable').tolist()


class SplitTerms(NamedTuple):
    """What a model's predictions on one split are scored from: ``argmax z - v c``.

    Attributes:
        z (Tensor): The linear model's logits, or the de-confounded logits (Eq. 7), (N, M).
        c (Tensor): The term subtracted ``v`` times: the log prior of logit adjustment
            (``v = t``), or the head-direction term of TDE (``v = alpha``, Eq. 8), (N, M).
        gt (Tensor): True labels, (N,).
        metric (LongTailAccuracy): The split's metric, its training class counts known.
    """
    z: Tensor
    c: Tensor
    gt: Tensor
    metric: LongTailAccuracy


def split_terms(config: str, checkpoint: str, split: str, cfg_options: Optional[dict] = None,
                linear: bool = False) -> SplitTerms:
    """The :class:`SplitTerms` of a checkpoint on a split, from one forward pass.

    For a linear model (``linear=True``) z are its logits and c the log prior ``log p`` of the
    split's training class counts (post-hoc logit adjustment, Menon et al. 2021); else the model
    must have a normalized classifier and ``z, c`` are its two TDE terms (Eq. 8).
    """
    model, dataloader, metric = load_for_analysis(config, checkpoint, split, cfg_options,
                                                  tde=not linear)
    if linear and not model.head.classifier.is_linear:
        raise ValueError(f'checkpoint={checkpoint!r} has classifier='
                         f"{model.head.classifier.variant!r}, not 'linear': logit adjustment "
                         'here is that of a linear model; give its linear checkpoint')
    features, gt = head_features(model, dataloader)
    with torch.no_grad():
        if linear:
            z = model.head.classifier(features)
            c = log_prior(metric.class_counts()).to(z.device).expand_as(z)
        else:
            z, c = model.head.classifier.logit_terms(features)
    return SplitTerms(z, c, gt, metric)


def sweep_checkpoint(config: str, checkpoint: str, split: str, alphas: Sequence[float],
                     cfg_options: Optional[dict] = None) -> Tuple[List[Dict[str, float]], int]:
    """The whole sweep of a checkpoint: :func:`split_terms` (one forward pass), then
    :func:`~mmcausal.evaluation.alpha_sweep.sweep_alphas`.

    Returns:
        tuple[list[dict], int]: The accuracies per alpha (see
        :func:`~mmcausal.evaluation.alpha_sweep.sweep_alphas`) and the number of samples of
        the split they were scored on.
    """
    terms = split_terms(config, checkpoint, split, cfg_options)
    return sweep_alphas(terms.z, terms.c, terms.gt, alphas, terms.metric), len(terms.gt)
