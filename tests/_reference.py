"""Reference computations written once from the paper, for the tests to check the code against.

Imported by the test files as ``from _reference import ...`` (pytest puts ``tests/`` on the
path). Plain Python floats, one sample, class and channel group at a time: nothing here calls
:mod:`mmcausal`, so a test compares the code with an independent computation.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch


def softmax(values: Sequence[float]) -> List[float]:
    """softmax of one row of logits, in Python floats."""
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(p * q for p, q in zip(a, b))


def _length(a: Sequence[float]) -> float:
    return math.sqrt(_dot(a, a))


def _normalized(variant: str, xk: List[float], wk: List[float],
                gamma: float) -> Tuple[List[float], float]:
    """The reference case of one classifier variant: n(x_k) and the weight norm N(w_ik).

    From the paper: Eq. 7 (deconfound), appendix B / Eq. 10 (cosine, capsule). A new variant
    of ``mmcausal.causal.VARIANTS`` adds its case here.
    """
    x_norm, w_norm = _length(xk), _length(wk)
    if variant == 'cosine':  # N(x, w) = |x| |w|
        return [v / x_norm for v in xk], w_norm
    if variant == 'capsule':  # N(x, w) = (|x| + 1) |w|
        return [v / (x_norm + 1) for v in xk], w_norm
    if variant == 'deconfound':  # N(x, w) = |x| (|w| + gamma)
        return [v / x_norm for v in xk], w_norm + gamma
    raise ValueError(f'no reference for classifier={variant!r}')


def reference_logits(x: torch.Tensor, weight: torch.Tensor, direction: torch.Tensor,
                     variant: str, num_heads: int, alpha: float, tau: float, gamma: float,
                     bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Logits (N, M) of features x (N, C), class weights (M, C), head direction d (C,), float64.

    ``'linear'``: ``w_i . x + b_i``. Normalized variants, groups of C / K channels:

    - alpha = 0, the de-confounded logits (Eq. 7; Eq. 10 for cosine and capsule)
      ``z_i = (tau / K) sum_k w_ik . n(x_k) / N(w_ik)``;
    - alpha > 0, TDE (Eq. 8): for deconfound the paper's
      ``(tau / K) sum_k [w_ik . x^_k - alpha cos(x_k, d_k) w_ik . d^_k] / (|w_ik| + gamma)``,
      for the others the part of n(x_k) along d^_k removed likewise,
      ``- alpha (n(x_k) . d^_k) (w_ik . d^_k) / N(w_ik)``.
    """
    x, w, d = x.tolist(), weight.tolist(), direction.tolist()
    if variant == 'linear':
        b = bias.tolist() if bias is not None else [0.0] * len(w)
        return torch.tensor([[_dot(ws, xs) + bs for ws, bs in zip(w, b)] for xs in x],
                            dtype=torch.float64)
    g = len(d) // num_heads
    out = []
    for xs in x:
        row = []
        for ws in w:
            total = 0.0
            for k in range(num_heads):
                xk, wk, dk = (v[k * g:(k + 1) * g] for v in (xs, ws, d))
                nx, weight_norm = _normalized(variant, xk, wk, gamma)
                term = _dot(wk, nx)
                if alpha:
                    d_hat = [v / _length(dk) for v in dk]
                    if variant == 'deconfound':  # Eq. 8 as written: alpha cos(x_k, d_k) w.d^
                        term -= alpha * _dot(xk, dk) / (_length(xk) * _length(dk)) * _dot(wk, d_hat)
                    else:  # the projection of n(x_k) on d^_k
                        term -= alpha * _dot(nx, d_hat) * _dot(wk, d_hat)
                total += term / weight_norm
            row.append(tau / num_heads * total)
        out.append(row)
    return torch.tensor(out, dtype=torch.float64)
