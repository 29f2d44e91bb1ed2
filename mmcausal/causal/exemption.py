"""Background-exempted inference for detection (paper Eq. 9)."""
import torch
from torch import Tensor


def background_exempted_scores(logits: Tensor, tde_logits: Tensor) -> Tensor:
    """Class probabilities that keep the background score of the de-confounded logits.

    With p = softmax(logits) and q = softmax(tde_logits), background being the LAST column
    (mmdet's convention)::

        score_bg = p_bg
        score_i  = (1 - p_bg) * q_i / (1 - q_bg)     for every foreground class i

    so each row sums to 1 and TDE only re-ranks the foreground classes. ``1 - q_bg`` is computed
    as the sum of the foreground q, which stays exact when q_bg is close to 1.

    Args:
        logits (Tensor): De-confounded logits z, (N, num_classes + 1).
        tde_logits (Tensor): TDE logits of the same RoIs, (N, num_classes + 1).

    Returns:
        Tensor: (N, num_classes + 1) scores.
    """
    p = logits.softmax(dim=-1)
    q_fg = tde_logits.softmax(dim=-1)[..., :-1]
    p_bg = p[..., -1:]
    fg = (1 - p_bg) * q_fg / q_fg.sum(dim=-1, keepdim=True)
    return torch.cat([fg, p_bg], dim=-1)
