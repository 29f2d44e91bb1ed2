"""De-confounded classifiers (paper Eq. 7, 10) and Total Direct Effect inference (Eq. 8).

Feature x (N, C) and class weights w (M, C) are split into K = ``num_heads`` groups of C/K
channels. A normalized classifier scores class i by

    z_i = (tau / K) * sum_k  w_ik . n(x_k) / N(w_ik)

with, per variant::

    cosine      n(x) = x / |x|         N(w) = |w|
    capsule     n(x) = x / (|x| + 1)   N(w) = |w|
    deconfound  n(x) = x / |x|         N(w) = |w| + gamma      (Eq. 7)

TDE removes the part of n(x_k) that lies along the unit head direction d_k (Eq. 8)::

    TDE_i = (tau / K) * sum_k  [w_ik . n(x_k) - alpha * <n(x_k), d_k> (w_ik . d_k)] / N(w_ik)

which for deconfound is ``[w_ik . x^_k - alpha cos(x_k, d_k) w_ik . d_k] / (|w_ik| + gamma)``.
It is linear in n(x): with the folded weight ``v_ik = w^_ik - alpha (w^_ik . d_k) d_k`` it is one
matmul, ``(tau / K) n(x) @ v.T``, and an alpha sweep is ``z - alpha * c`` with both terms computed
once (:meth:`CausalClassifier.logit_terms`). ``linear`` is the plain ``w . x + b`` baseline, for
which TDE is undefined.
"""
import warnings
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .direction import HeadDirection

CLASSIFIERS = ('linear', 'cosine', 'capsule', 'deconfound')
_EPS = 1e-12


def split_groups(t: Tensor, num_heads: int) -> Tensor:
    """(..., C) -> (..., K, C / K)."""
    return t.reshape(*t.shape[:-1], num_heads, t.shape[-1] // num_heads)


class CausalClassifier(nn.Module):
    """Normalized multi-head classifier with TDE inference against a running head direction.

    Args:
        in_channels (int): Feature size C, divisible by ``num_heads``.
        num_classes (int): Number of output logits M.
        classifier (str): One of ``'linear' | 'cosine' | 'capsule' | 'deconfound'``.
        num_heads (int): K, the number of channel groups. Defaults to 2.
        tau (float): Logit scale, > 0. Defaults to 16.
        gamma (float): Weight-norm offset of ``deconfound``, >= 0. Defaults to 1/32.
        alpha (float): TDE strength at test time, >= 0; 0 gives the de-confounded logits.
        field_prefix (str): Names the owner in error messages (e.g. ``'TDEClsHead'``).

    Shapes: ``forward`` maps (N, C) -> (N, M). In training, and whenever ``alpha == 0``, it
    returns z; in eval mode with ``alpha > 0`` it returns TDE against ``self.direction``.
    """

    def __init__(self, in_channels: int, num_classes: int, classifier: str = 'deconfound',
                 num_heads: int = 2, tau: float = 16.0, gamma: float = 1 / 32, alpha: float = 0.0,
                 field_prefix: str = 'CausalClassifier') -> None:
        super().__init__()
        self._prefix = field_prefix
        if classifier not in CLASSIFIERS:
            raise ValueError(f'{field_prefix}: classifier={classifier!r} is unknown; '
                             f'choose one of {CLASSIFIERS}')
        if num_heads < 1 or in_channels % num_heads:
            raise ValueError(f'{field_prefix}: in_channels={in_channels} is not divisible by '
                             f'num_heads={num_heads}; choose num_heads dividing in_channels')
        if not tau > 0:
            raise ValueError(f'{field_prefix}: tau={tau} must be > 0 (the paper uses 16)')
        if not gamma >= 0:
            raise ValueError(f'{field_prefix}: gamma={gamma} must be >= 0 (the paper uses 1/32)')
        self.classifier = classifier
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_heads = num_heads
        self.tau = float(tau)
        self.gamma = float(gamma)
        self.alpha = alpha
        self.weight = nn.Parameter(torch.empty(num_classes, in_channels))
        self.bias = nn.Parameter(torch.zeros(num_classes)) if classifier == 'linear' else None
        self.direction = HeadDirection(in_channels)
        self._warned_zero_direction = False
        self.reset_parameters()

    @property
    def alpha(self) -> float:
        return self._alpha

    @alpha.setter
    def alpha(self, value: float) -> None:
        if not value >= 0:
            raise ValueError(f'{self._prefix}: alpha={value} must be >= 0 (0 disables TDE)')
        if value > 0 and self.classifier == 'linear':
            raise ValueError(f"{self._prefix}: alpha={value} needs a normalized classifier; TDE is "
                             "undefined for classifier='linear' (set alpha=0 or another classifier)")
        self._alpha = float(value)

    def reset_parameters(self) -> None:
        bound = self.in_channels**-0.5
        nn.init.uniform_(self.weight, -bound, bound)

    def normalize_features(self, x: Tensor) -> Tensor:
        """n(x) per group, (N, C) -> (N, C)."""
        groups = split_groups(x, self.num_heads)
        norm = groups.norm(dim=-1, keepdim=True)
        if self.classifier == 'capsule':
            return (groups / (norm + 1)).flatten(-2)
        return (groups / norm.clamp_min(_EPS)).flatten(-2)

    def normalized_weight(self) -> Tensor:
        """w / N(w) per group, (M, C); already multiplied by tau / K."""
        groups = split_groups(self.weight, self.num_heads)
        norm = groups.norm(dim=-1, keepdim=True)
        if self.classifier == 'deconfound':
            norm = norm + self.gamma
        scale = self.tau / self.num_heads
        return (scale * groups / norm.clamp_min(_EPS)).flatten(-2)

    def direction_coefficients(self, weight: Tensor) -> Tensor:
        """Per group ``w_ik . d_k`` of a (M, C) weight, with d_k the unit head direction: (M, K).

        Of :meth:`normalized_weight`, these are the logits TDE removes from class i per unit
        ``alpha * cos(x_k, d_k)``: ``c_i = sum_k cos(x_k, d_k) (w_ik . d_k)``.
        """
        return (split_groups(weight, self.num_heads) * self._unit_direction()).sum(-1)

    def direction_projection(self, weight: Tensor) -> Tensor:
        """Per group ``(w_ik . d_k) d_k`` of a (M, C) weight, with d_k the unit head direction."""
        coefficients = self.direction_coefficients(weight).unsqueeze(-1)
        return (coefficients * self._unit_direction()).flatten(-2)

    def _unit_direction(self) -> Tensor:
        """d_k / ||d_k|| per group, (K, C / K)."""
        return F.normalize(split_groups(self.direction.direction, self.num_heads), dim=-1, eps=_EPS)

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
        """The weight ``v`` that scores n(x) with one matmul: z's in training, TDE's when active."""
        weight = self.normalized_weight()
        if self.tde_active():
            weight = weight - self.alpha * self.direction_projection(weight)
        return weight

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) features -> (N, M) logits (z, or TDE when :meth:`tde_active`)."""
        if self.classifier == 'linear':
            return F.linear(x, self.weight, self.bias)
        return self.normalize_features(x) @ self.folded_weight().t()

    def logit_terms(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """The two terms of TDE, ``(z, c)`` with ``TDE(alpha) = z - alpha * c``, each (N, M)."""
        if self.classifier == 'linear':
            raise ValueError(f"{self._prefix}: TDE terms are undefined for classifier='linear'")
        features = self.normalize_features(x)
        weight = self.normalized_weight()
        return features @ weight.t(), features @ self.direction_projection(weight).t()

    def extra_repr(self) -> str:
        return (f'classifier={self.classifier!r}, in_channels={self.in_channels}, '
                f'num_classes={self.num_classes}, num_heads={self.num_heads}, tau={self.tau}, '
                f'gamma={self.gamma}, alpha={self.alpha}')
