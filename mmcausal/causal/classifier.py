"""De-confounded classifiers (paper Eq. 7, Eq. 10) and Total Direct Effect inference (Eq. 8).

Feature x (N, C) and class weights w (M, C) are split into K = ``num_heads`` groups of C/K
channels. A normalized classifier (paper Eq. 10) scores class i by

    z_i = (tau / K) * sum_k  w_ik . x_k / N(x_k, w_ik),    N(x, w) = F(|x|) * W(|w|)

with the two factors of N per variant in :data:`VARIANTS`::

    cosine      F(|x|) = |x|        W(|w|) = |w|          (Eq. 10)
    capsule     F(|x|) = |x| + 1    W(|w|) = |w|          (Eq. 10)
    deconfound  F(|x|) = |x|        W(|w|) = |w| + gamma  (Eq. 7)

Writing n(x_k) = x_k / F(|x_k|), TDE removes the part of n(x_k) that lies along the unit head
direction d_k (Eq. 8)::

    TDE_i = (tau / K) * sum_k  [w_ik . n(x_k) - alpha * <n(x_k), d_k> (w_ik . d_k)] / W(|w_ik|)

which for deconfound is ``[w_ik . x^_k - alpha cos(x_k, d_k) w_ik . d_k] / (|w_ik| + gamma)``.
It is linear in n(x): with the folded weight ``v_ik = w^_ik - alpha (w^_ik . d_k) d_k`` it is one
matmul, ``(tau / K) n(x) @ v.T``, and an alpha sweep is ``z - alpha * c`` with both terms computed
once (:meth:`CausalClassifier.logit_terms`). ``linear`` is the plain ``w . x + b`` baseline, for
which TDE is undefined.
"""
import warnings
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .direction import HeadDirection

_EPS = 1e-12


def _norm(norm: Tensor) -> Tensor:
    """F(|x_k|) = |x_k| of cosine and deconfound: n(x_k) is the unit vector (Eq. 7, Eq. 10)."""
    return norm


def _squash(norm: Tensor) -> Tensor:
    """F(|x_k|) = |x_k| + 1 of capsule (OLTR's squashing, Eq. 10): |n(x_k)| lies in [0, 1)."""
    return norm + 1


def _weight_norm(norm: Tensor, gamma: float) -> Tensor:
    """W(|w_ik|) = |w_ik| of cosine and capsule (Eq. 10)."""
    return norm


def _weight_norm_plus_gamma(norm: Tensor, gamma: float) -> Tensor:
    """W(|w_ik|) = |w_ik| + gamma of deconfound (Eq. 7)."""
    return norm + gamma


@dataclass(frozen=True)
class Normalization:
    """The two factors of Eq. 10's ``N(x_k, w_ik) = feature(|x_k|) * weight(|w_ik|, gamma)``.

    ``feature`` maps the group norms of the features (..., K, 1) to their divisor, ``weight``
    the group norms of the class weights (M, K, 1) and gamma to theirs.
    """
    feature: Callable[[Tensor], Tensor]
    weight: Callable[[Tensor, float], Tensor]

    def normalize_features(self, x: Tensor, num_heads: int) -> Tensor:
        """n(x) = x_k / F(|x_k|) per group of K = ``num_heads`` (Eq. 7, Eq. 10),
        (N, C) -> (N, C)."""
        groups = split_groups(x, num_heads)
        norm = groups.norm(dim=-1, keepdim=True)
        return (groups / self.feature(norm).clamp_min(_EPS)).flatten(-2)


#: Classifier variant (the ``classifier=`` argument) -> its normalization; ``None`` is the plain
#: linear baseline ``w . x + b`` (no normalization, a bias, TDE undefined). A new normalized
#: variant is one entry here (and one reference case in ``tests/_reference.py``).
VARIANTS: Dict[str, Optional[Normalization]] = {
    'linear': None,
    'cosine': Normalization(feature=_norm, weight=_weight_norm),
    'capsule': Normalization(feature=_squash, weight=_weight_norm),
    'deconfound': Normalization(feature=_norm, weight=_weight_norm_plus_gamma),
}
CLASSIFIERS = tuple(VARIANTS)


def split_groups(t: Tensor, num_heads: int) -> Tensor:
    """(..., C) -> (..., K, C / K)."""
    return t.reshape(*t.shape[:-1], num_heads, t.shape[-1] // num_heads)


class CausalClassifier(nn.Module):
    """Normalized multi-head classifier with TDE inference against a running head direction.

    Args:
        in_channels (int): Feature size C, divisible by ``num_heads``.
        num_classes (int): Number of output logits M.
        classifier (str): The variant, a key of :data:`VARIANTS`:
            ``'linear' | 'cosine' | 'capsule' | 'deconfound'``; read back as :attr:`variant`.
        num_heads (int): K, the number of channel groups. Defaults to 2.
        tau (float): Logit scale, > 0. Defaults to 16.
        gamma (float): Weight-norm offset of ``deconfound``, >= 0. Defaults to 1/32.
        alpha (float): TDE strength at test time, >= 0; 0 gives the de-confounded logits.
        field_prefix (str): Names the owner in error messages (e.g. ``'TDEClsHead'``).
        channels_field (str): The owner's name for ``in_channels`` in error messages (e.g.
            ``'fc_out_channels'``). Defaults to ``'in_channels'``.

    Attributes:
        variant (str): The ``classifier`` argument.
        direction (HeadDirection): The running head direction; its (C,) vector is
            ``direction.vector`` (state dict key ``direction.direction``).

    Shapes: ``forward`` maps (N, C) -> (N, M). In training, and whenever ``alpha == 0``, it
    returns z; in eval mode with ``alpha > 0`` it returns TDE against the head direction.
    """

    def __init__(self, in_channels: int, num_classes: int, classifier: str = 'deconfound',
                 num_heads: int = 2, tau: float = 16.0, gamma: float = 1 / 32, alpha: float = 0.0,
                 field_prefix: str = 'CausalClassifier',
                 channels_field: str = 'in_channels') -> None:
        super().__init__()
        self._prefix = field_prefix
        if classifier not in VARIANTS:
            raise ValueError(f'{field_prefix}: classifier={classifier!r} is unknown; '
                             f'choose one of {CLASSIFIERS}')
        if num_heads < 1 or in_channels % num_heads:
            raise ValueError(f'{field_prefix}: {channels_field}={in_channels} is not divisible by '
                             f'num_heads={num_heads}; choose num_heads dividing {channels_field}')
        if not tau > 0:
            raise ValueError(f'{field_prefix}: tau={tau} must be > 0 (the paper uses 16)')
        if not gamma >= 0:
            raise ValueError(f'{field_prefix}: gamma={gamma} must be >= 0 (the paper uses 1/32)')
        self.variant = classifier
        self._normalization = VARIANTS[classifier]
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_heads = num_heads
        self.tau = float(tau)
        self.gamma = float(gamma)
        self.alpha = alpha
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        self.bias = nn.Parameter(torch.zeros(num_classes)) if self.is_linear else None
        self.direction = HeadDirection(in_channels)
        self._warned_zero_direction = False
        self.reset_parameters()

    @property
    def is_linear(self) -> bool:
        """Whether this is the plain ``w . x + b`` baseline (no normalization, no TDE)."""
        return self._normalization is None

    @property
    def alpha(self) -> float:
        return self._alpha

    @alpha.setter
    def alpha(self, value: float) -> None:
        if not value >= 0:
            raise ValueError(f'{self._prefix}: alpha={value} must be >= 0 (0 disables TDE)')
        if value > 0 and self.is_linear:
            raise ValueError(f'{self._prefix}: alpha={value} needs a normalized classifier; TDE is '
                             f'undefined for classifier={self.variant!r} (set alpha=0 or another '
                             'classifier)')
        self._alpha = float(value)

    def reset_parameters(self) -> None:
        bound = self.in_channels**-0.5
        nn.init.uniform_(self.weight, -bound, bound)

    def normalize_features(self, x: Tensor) -> Tensor:
        """n(x) = x_k / F(|x_k|) per group (Eq. 7, Eq. 10), (N, C) -> (N, C)."""
        return self._normalization.normalize_features(x, self.num_heads)

    def normalized_weight(self) -> Tensor:
        """w_ik / W(|w_ik|) per group (Eq. 7, Eq. 10), (M, C); already multiplied by tau / K."""
        groups = split_groups(self.weight, self.num_heads)
        norm = self._normalization.weight(groups.norm(dim=-1, keepdim=True), self.gamma)
        scale = self.tau / self.num_heads
        return (scale * groups / norm.clamp_min(_EPS)).flatten(-2)

    def direction_coefficients(self, weight: Tensor) -> Tensor:
        """Per group ``w_ik . d_k`` of a (M, C) weight, with d_k the unit head direction: (M, K).

        Of :meth:`normalized_weight`, these are the logits TDE (Eq. 8) removes from class i per
        unit ``alpha * cos(x_k, d_k)``: ``c_i = sum_k cos(x_k, d_k) (w_ik . d_k)``.
        """
        return (split_groups(weight, self.num_heads) * self._unit_direction()).sum(-1)

    def direction_projection(self, weight: Tensor) -> Tensor:
        """Per group ``(w_ik . d_k) d_k`` of a (M, C) weight, d_k the unit head direction: the
        part of w_ik that TDE (Eq. 8) removes."""
        coefficients = self.direction_coefficients(weight).unsqueeze(-1)
        return (coefficients * self._unit_direction()).flatten(-2)

    def _unit_direction(self) -> Tensor:
        """d_k / ||d_k|| per group, (K, C / K)."""
        return F.normalize(split_groups(self.direction.vector, self.num_heads), dim=-1, eps=_EPS)

    def tde_active(self) -> bool:
        """Whether ``forward`` returns TDE: eval mode, ``alpha > 0`` and a non-zero direction."""
        if self.training or self.alpha == 0:
            return False
        if self.direction.is_zero:
            if not self._warned_zero_direction:
                warnings.warn(f'{self._prefix}: alpha={self.alpha} but the head direction is still '
                              'zero (untrained model, training without HeadDirectionHook, or a '
                              'checkpoint without it); predicting with '
                              'the de-confounded logits')
                self._warned_zero_direction = True
            return False
        return True

    def folded_weight(self) -> Tensor:
        """The weight ``v`` that scores n(x) with one matmul: z's (Eq. 7, Eq. 10) in training,
        TDE's (Eq. 8, ``v = w^ - alpha (w^ . d^) d^`` per group) when :meth:`tde_active`."""
        weight = self.normalized_weight()
        if self.tde_active():
            weight = weight - self.alpha * self.direction_projection(weight)
        return weight

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) features -> (N, M) logits: z (Eq. 7, Eq. 10), or TDE (Eq. 8) when
        :meth:`tde_active`."""
        if self.is_linear:
            return F.linear(x, self.weight, self.bias)
        return self.normalize_features(x) @ self.folded_weight().t()

    def logit_terms(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """The two terms of TDE (Eq. 8), ``(z, c)`` with ``TDE(alpha) = z - alpha * c``, each
        (N, M); z is the de-confounded logits (Eq. 7)."""
        if self.is_linear:
            raise ValueError(f'{self._prefix}: TDE terms are undefined for '
                             f'classifier={self.variant!r}')
        features = self.normalize_features(x)
        weight = self.normalized_weight()
        return features @ weight.t(), features @ self.direction_projection(weight).t()

    def extra_repr(self) -> str:
        return (f'classifier={self.variant!r}, in_channels={self.in_channels}, '
                f'num_classes={self.num_classes}, num_heads={self.num_heads}, tau={self.tau}, '
                f'gamma={self.gamma}, alpha={self.alpha}')
