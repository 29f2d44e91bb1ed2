"""Background-exempted inference for detection (paper Eq. 9)."""
import torch
from torch import Tensor


def background_exempted_scores(logits: Tensor, tde_logits: Tensor) -> Tensor:
    """Class probabilities that keep the background score of the de-confounded logits.

    With p = softmax(logits) and q = softmax(tde_logits), background being the LAST column
    (mmdet's convention)::

        score_bg = p_bg
        score_i  = (1 - p_bg) * q_i / (1 - q_bg)     for every foreground class i

    so each row sums to 1 and TDE only re-ranks the foreground classes. ``q_i / (1 - q_bg)`` is
    computed as the softmax of the foreground TDE logits alone, which equals it and stays exact
    (never 0 / 0) however close to 1 q_bg is.

    Args:
        logits (Tensor): De-confounded logits z, (N, num_classes + 1).
        tde_logits (Tensor): TDE logits of the same RoIs, (N, num_classes + 1).

    Returns:
        Tensor: (N, num_classes + 1) scores.
    """
    p_bg = logits.softmax(dim=-1)[..., -1:]
    fg = (1 - p_bg) * tde_logits[..., :-1].softmax(dim=-1)
    return torch.cat([fg, p_bg], dim=-1)
