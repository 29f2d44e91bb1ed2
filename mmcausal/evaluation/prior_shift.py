"""Accuracy under the class prior a model is deployed on, and corrections towards that prior.

Under label shift the images of a class look as in training (``p(x | y)`` fixed) but the classes
occur with a target prior ``q`` instead of the training prior ``p`` (``p_y = n_y / sum n``):

* the expected top-1 of a test set drawn with ``q`` is ``sum_y q_y acc_y``, with ``acc_y`` the
  top-1 of class ``y`` (:func:`prior_weighted_accuracy`, the metric :class:`PriorWeightedAccuracy`);
  ``q`` uniform (``'balanced'``) gives the mean over classes, ``q = p`` (``'train'``) a test set
  that follows the training counts;
* logit adjustment towards ``q`` (Menon et al., ICLR 2021; Hong et al., CVPR 2021)
  predicts ``argmax_y z_y - t log p_y + t log q_y``: ``z - t * c`` with the fixed term
  ``c = log p - log q`` (:func:`log_prior_ratio`), so ``sweep_alphas`` scores a grid of t; ``q``
  uniform is the usual post-hoc logit adjustment, ``q = p`` leaves ``z`` as it is;
* an unknown ``q`` is estimated from the model's probabilities on unlabelled images by the EM of
  Saerens, Latinne and Decaestecker (Neural Computation, 2002) (:func:`estimate_prior`), after
  the logits are calibrated by a temperature fitted on a labelled split (:func:`fit_temperature`;
  EM needs calibrated probabilities, Alexandari et al., ICML 2020).

Plain NumPy and torch but for the metric, which mmpretrain's ``METRICS`` registers.
"""
import os.path as osp
import re
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpretrain.registry import METRICS
from torch import Tensor

from .alpha_sweep import sweep_alphas
from .logit_adjustment import log_prior
from .long_tail_accuracy import LongTailAccuracy, class_accuracy

#: The named target priors; any other string is a file of class weights (:func:`read_prior`).
TARGET_PRIORS = ('balanced', 'train')
#: ``target_prior`` in words, for the help of the tools' flags.
TARGET_PRIOR_HELP = ("balanced (every class alike), train (the training images per class) or a "
                     'file of one non-negative weight per class in class order, separated by '
                     'spaces, commas or new lines (e.g. expected images per class)')
TargetPrior = Union[str, Sequence[float]]
#: The least target prior logit adjustment takes a class to have (:func:`log_prior_ratio`).
MIN_TARGET_PRIOR = 1e-6


def normalized_prior(weights: Sequence[float], num_classes: int, name: str = 'prior') -> np.ndarray:
    """``weights`` divided by their sum, float64 (C,); each weight finite and >= 0, one per class,
    not all 0. ``name`` names the argument in the error."""
    prior = np.asarray(weights, dtype=np.float64)
    if prior.ndim != 1 or prior.size != num_classes:
        raise ValueError(f'{name} must hold one weight per class ({num_classes}), got shape '
                         f'{prior.shape}')
    if not np.isfinite(prior).all() or (prior < 0).any() or prior.sum() <= 0:
        raise ValueError(f'{name} must be finite weights >= 0, not all 0, got {prior.tolist()}')
    return prior / prior.sum()


def read_prior(path: str, num_classes: int) -> np.ndarray:
    """The normalized prior of a text file of ``num_classes`` weights in class order, separated
    by spaces, commas or new lines (``#`` starts a comment)."""
    with open(path) as f:
        text = re.sub(r'#[^\n]*', '', f.read())
    fields = [field for field in re.split(r'[\s,]+', text) if field]
    try:
        weights = [float(field) for field in fields]
    except ValueError as error:
        raise ValueError(f'target prior file {path!r}: {error}; write one number per class') \
            from None
    return normalized_prior(weights, num_classes, f'target prior file {path!r}')


def target_prior(target: TargetPrior, train_class_counts: Sequence[int]) -> np.ndarray:
    """The normalized target prior (C,) of ``target``: ``'balanced'`` (uniform), ``'train'``
    (``train_class_counts`` normalized), the path of a file (:func:`read_prior`), or C weights.
    """
    num_classes = len(train_class_counts)
    if not isinstance(target, str):
        return normalized_prior(target, num_classes, 'target_prior')
    if target == 'balanced':
        return np.full(num_classes, 1.0 / num_classes)
    if target == 'train':
        return normalized_prior(train_class_counts, num_classes, 'train_class_counts')
    if not osp.isfile(target):
        raise ValueError(f'target_prior={target!r} is neither one of {TARGET_PRIORS} nor a file; '
                         f'give {TARGET_PRIOR_HELP}')
    return read_prior(target, num_classes)


def exponential_prior(num_classes: int, imbalance_ratio: float,
                      reverse: bool = False) -> np.ndarray:
    """The prior of the exponential long-tailed profile, ``q_i ~ ratio ** (-i / (C - 1))`` (class
    0 the head, as :func:`~mmcausal.datasets.long_tailed_counts` draws training sets, without
    its rounding to whole images); ``reverse``: the same profile with class C - 1 the head (the
    "backward" test sets of test-agnostic long-tail benchmarks, Zhang et al. 2022)."""
    if num_classes < 2 or imbalance_ratio < 1:
        raise ValueError(f'exponential_prior needs num_classes >= 2 and imbalance_ratio >= 1, '
                         f'got {num_classes} and {imbalance_ratio}')
    weights = float(imbalance_ratio)**(-np.arange(num_classes) / (num_classes - 1))
    return normalized_prior(weights[::-1] if reverse else weights, num_classes)


def prior_weighted_accuracy(class_acc: np.ndarray, prior: Sequence[float]) -> float:
    """``sum_c q_c acc_c``: the expected top-1 (%) of a test set whose classes follow ``prior``.

    Args:
        class_acc (np.ndarray): Top-1 (%) of each class, (C,), NaN for a class without test
            samples (:func:`~mmcausal.evaluation.class_accuracy`).
        prior (Sequence[float]): C weights >= 0 (normalized here); a class without test
            samples must have weight 0.
    """
    class_acc = np.asarray(class_acc, dtype=np.float64)
    prior = normalized_prior(prior, class_acc.size)
    untested = np.isnan(class_acc) & (prior > 0)
    if untested.any():
        raise ValueError(f'classes {np.flatnonzero(untested).tolist()} have no test samples but a '
                         'target prior > 0; evaluate on samples of every class the prior weighs')
    return float(np.dot(prior[prior > 0], class_acc[prior > 0]))


def log_prior_ratio(train_class_counts: Sequence[int], prior: Sequence[float]) -> Tensor:
    """``c = log p - log q`` (M,), float: logit adjustment towards ``q`` is ``z - t * c``.

    ``p`` is the training prior of ``train_class_counts`` (each >= 1), ``q`` the target prior
    (normalized here), each ``q_y`` taken as at least :data:`MIN_TARGET_PRIOR`: a class the
    prior excludes (EM's estimate can reach 0) loses ``t * 13.8`` logits, so it is all but never
    predicted, while ``c`` stays finite (``t = 0`` gives ``z`` back).
    """
    train = log_prior(train_class_counts).double()
    target = torch.as_tensor(normalized_prior(prior, train.numel(), 'target prior'))
    return (train - target.clamp(min=MIN_TARGET_PRIOR).log()).float()


def adjusted_towards(logits: Tensor, train_class_counts: Sequence[int], prior: Sequence[float],
                     t: float = 1.0) -> Tensor:
    """``z - t log p + t log q`` for logits (N, M) or (M,): logit adjustment towards ``prior``."""
    return logits - t * log_prior_ratio(train_class_counts, prior).to(logits)


def estimate_prior(probabilities: Tensor, train_prior: Sequence[float], tolerance: float = 1e-8,
                   max_iterations: int = 10000) -> Tuple[np.ndarray, int]:
    """The class prior of unlabelled samples, by EM (Saerens et al. 2002).

    With ``p(y | x)`` a model's probabilities under the training prior ``p``, each iteration
    re-weighs them by the current estimate ``q`` and averages:

        q(y | x) = p(y | x) q_y / p_y / sum_j p(j | x) q_j / p_j,      q_y <- mean_x q(y | x)

    from ``q = p`` until no ``q_y`` moves by more than ``tolerance``. Each iteration raises the
    likelihood of the samples under the mixture ``sum_y q_y p(x | y)``.

    Args:
        probabilities (Tensor): Softmax probabilities of N samples, (N, C).
        train_prior (Sequence[float]): The training prior ``p`` (weights, normalized here, > 0).
        tolerance (float): Stop when ``max_y |q_new - q| <= tolerance``.
        max_iterations (int): At most this many iterations; a warning says when they run out.

    Returns:
        tuple[np.ndarray, int]: The estimate ``q`` (C,) and the iterations it took.
    """
    probs = torch.as_tensor(probabilities, dtype=torch.float64).cpu()
    if probs.dim() != 2 or probs.shape[0] == 0:
        raise ValueError(f'probabilities must be (N, C) with N >= 1, got {tuple(probs.shape)}')
    train = torch.as_tensor(normalized_prior(train_prior, probs.shape[1], 'train_prior'))
    if bool((train == 0).any()):
        raise ValueError('train_prior must be > 0 for every class: a class never trained on has '
                         'no probability to re-weigh')
    prior = train.clone()
    for iteration in range(1, max_iterations + 1):
        posterior = probs * (prior / train)
        posterior /= posterior.sum(dim=1, keepdim=True)
        new_prior = posterior.mean(dim=0)
        moved = float((new_prior - prior).abs().max())
        prior = new_prior
        if moved <= tolerance:
            return prior.numpy(), iteration
    warnings.warn(f'estimate_prior: EM moved the prior by {moved:.2e} > tolerance={tolerance} '
                  f'after max_iterations={max_iterations}; the estimate is that of the last one')
    return prior.numpy(), max_iterations


def fit_temperature(logits: Tensor, gt_labels: Tensor, train_prior: Sequence[float]) -> float:
    """The temperature T that calibrates ``softmax(z / T)`` as ``p(y | x)`` under the training
    prior, fitted on a labelled split whose classes may follow another prior.

    On a split with the label frequencies ``f`` the posterior is ``p(y | x) f_y / p_y``
    (normalized), so T minimizes the split's negative log-likelihood of

        softmax(z / T - log p + log f)

    (L-BFGS over log T, float64). A model trained with cross-entropy is typically overconfident,
    T > 1; EM (:func:`estimate_prior`) on ``softmax(z / T)`` then estimates a prior much closer
    than on ``softmax(z)``.

    Args:
        logits (Tensor): The uncorrected logits z of N labelled samples, (N, C).
        gt_labels (Tensor): Their labels, (N,).
        train_prior (Sequence[float]): The training prior ``p`` (weights, > 0).
    """
    z = torch.as_tensor(logits, dtype=torch.float64).cpu()
    gt = torch.as_tensor(gt_labels).cpu().long()
    if z.dim() != 2 or gt.shape != z.shape[:1] or gt.numel() == 0:
        raise ValueError(f'logits (N, C) and gt_labels (N,) of N >= 1 samples expected, got '
                         f'{tuple(z.shape)} and {tuple(gt.shape)}')
    train = torch.as_tensor(normalized_prior(train_prior, z.shape[1], 'train_prior'))
    frequencies = torch.bincount(gt, minlength=z.shape[1]).double() / gt.numel()
    # log f - log p; a class absent from the split gets a posterior of 0 (-1e9, not -inf)
    shift = torch.where(frequencies > 0, frequencies.log(), -1e9) - train.log()
    log_temperature = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_temperature], max_iter=100, line_search_fn='strong_wolfe')

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_temperature.exp() + shift, gt)
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return float(log_temperature.detach().exp())


def total_variation(prior: Sequence[float], other: Sequence[float]) -> float:
    """``0.5 * sum_y |q_y - q'_y|`` of two priors (normalized here): from 0 (equal) to 1."""
    prior = np.asarray(prior, dtype=np.float64)
    other = normalized_prior(other, prior.size, 'other')
    return float(0.5 * np.abs(normalized_prior(prior, prior.size) - other).sum())


@METRICS.register_module()
class PriorWeightedAccuracy(LongTailAccuracy):
    """:class:`LongTailAccuracy` whose ``overall`` is the expected top-1 under a target prior.

    With ``acc_c = 100 * #correct_c / #samples_c`` and ``q`` the normalized target prior,

        overall = sum_c q_c acc_c          (%; every class with q_c > 0 needs test samples)

    the top-1 a test set drawn with ``q`` scores in expectation (label shift: each class's
    images as in the evaluated set); ``many``, ``medium`` and ``few`` are those of
    :class:`LongTailAccuracy`. ``'balanced'`` gives the mean over classes, on a balanced
    evaluated set its plain top-1. As the tools select by ``overall`` by default,
    ``tools/analysis/sweep_alpha.py`` and ``choose_correction.py`` choose for the target prior.

    Args:
        target_prior (str | Sequence[float]): ``'balanced'``, ``'train'`` (the training images
            per class, the metric's ``train_class_counts``), the path of a file of one weight per
            class (:func:`read_prior`), or the weights. Defaults to ``'balanced'``.
        **kwargs: Those of :class:`LongTailAccuracy`; the prefix defaults to
            ``'prior_weighted'`` (keys ``prior_weighted/overall``, ...).
    """

    default_prefix = 'prior_weighted'

    def __init__(self, target_prior: TargetPrior = 'balanced', **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(target_prior, str) and target_prior not in TARGET_PRIORS \
                and not osp.isfile(target_prior):
            raise ValueError(f'PriorWeightedAccuracy: target_prior={target_prior!r} is neither '
                             f'one of {TARGET_PRIORS} nor a file; give {TARGET_PRIOR_HELP}')
        self.target_prior = target_prior

    def compute_metrics(self, results: List[Tuple[int, int]]) -> Dict[str, float]:
        """:class:`LongTailAccuracy`'s metrics with ``overall`` weighted by the target prior."""
        metrics = super().compute_metrics(results)
        counts = self.class_counts()
        class_acc = class_accuracy([pred for pred, _ in results], [gt for _, gt in results],
                                   len(counts))
        metrics['overall'] = prior_weighted_accuracy(class_acc,
                                                     target_prior(self.target_prior, counts))
        return metrics


def correction_sweeps(tde: Tuple[Tensor, Tensor, Tensor], linear: Optional[Tuple[Tensor, Tensor]],
                      metric: LongTailAccuracy, prior: Sequence[float], alphas: Sequence[float],
                      ts: Sequence[float]) -> Dict[str, List[Dict[str, float]]]:
    """The two sweeps :func:`~mmcausal.evaluation.alpha_sweep.choose_correction` weighs for a
    target prior, each row's ``overall`` the expected top-1 under ``prior``
    (:class:`PriorWeightedAccuracy`; the groups are ``metric``'s).

    Args:
        tde (tuple[Tensor, Tensor, Tensor]): ``z, c, gt`` of a de-confound model on a split:
            TDE ``z - alpha * c`` for each of ``alphas``.
        linear (tuple[Tensor, Tensor], optional): ``z, gt`` of a linear model on the split:
            logit adjustment towards ``prior``, ``z - t (log p - log q)``, for each of ``ts``.
        metric (LongTailAccuracy): The split's metric: its training counts (``p``), thresholds
            and ``dataset_meta``.
        prior (Sequence[float]): The target prior ``q``, one weight per class.

    Returns:
        dict: ``tde`` and, with ``linear``, ``logit_adjustment``: lists of
        ``{'alpha', 'overall', 'many', 'medium', 'few'}`` (``'alpha'`` holds t for the latter).
    """
    counts = metric.class_counts()
    many_shot_thr, few_shot_thr = metric.thresholds
    weighted = PriorWeightedAccuracy(target_prior=list(prior), train_class_counts=counts,
                                     many_shot_thr=many_shot_thr, few_shot_thr=few_shot_thr)
    weighted.dataset_meta = metric.dataset_meta
    sweeps = dict(tde=sweep_alphas(*tde, alphas, weighted))
    if linear is not None:
        z, gt = linear
        ratio = log_prior_ratio(counts, prior).to(z)
        sweeps['logit_adjustment'] = sweep_alphas(z, ratio.expand_as(z), gt, ts, weighted)
    return sweeps
