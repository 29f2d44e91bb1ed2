"""Post-hoc logit adjustment (Menon et al., ICLR 2021), the simple peer of TDE.

A plain (linear) classifier's logits z (N, M) predict ``argmax_i z_i - t * log p_i``, with
``p_i = n_i / sum_j n_j`` the training class frequencies and ``t >= 0`` (1 is the paper's
default; 0 gives the plain predictions back). Like TDE it is ``z - t * c`` with a fixed term c,
so :func:`~mmcausal.evaluation.alpha_sweep.sweep_alphas` scores a grid of t from one forward pass.
"""
from typing import Sequence

import torch
from torch import Tensor


def log_prior(train_class_counts: Sequence[int]) -> Tensor:
    """``log p_i`` of the training label distribution, (M,) float; every count must be >= 1."""
    counts = torch.as_tensor(train_class_counts, dtype=torch.float64)
    if counts.dim() != 1 or counts.numel() == 0 or bool((counts < 1).any()):
        raise ValueError(f'train_class_counts must be one count >= 1 per class, got '
                         f'{list(train_class_counts)}; a class without training images has no '
                         'prior to adjust by')
    return (counts / counts.sum()).log().float()


def adjusted_logits(logits: Tensor, train_class_counts: Sequence[int], t: float = 1.0) -> Tensor:
    """``z - t * log p`` for logits (N, M) and M training counts: (N, M)."""
    return logits - t * log_prior(train_class_counts).to(logits.device)
