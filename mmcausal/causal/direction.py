"""The head direction: the decayed running sum of batch-mean training features."""
import warnings
from typing import Optional

import torch
import torch.distributed as dist
from torch import Tensor, nn


class HeadDirection(nn.Module):
    """Running head direction ``d`` of a classifier's input features (paper Sec. 4.2).

    The owning head calls :meth:`record` with the features of every training forward (detached;
    only the rows that count, e.g. foreground RoIs). After each optimizer step
    :meth:`update` folds the recorded rows into ``d``::

        d <- momentum * d + mean(recorded rows)

    where the mean is the global one over all ranks (all-reduced sum and count), so every rank
    holds the same ``d``. Rows recorded over several forwards (gradient accumulation) form one
    batch. Non-finite rows are dropped with a warning, and a step that recorded no row leaves
    ``d`` unchanged. Only the direction of ``d`` is used by TDE.

    The pending batch (float64 feature sum and row count, (C + 1,)) is a plain attribute, not a
    buffer, so a DDP wrapper with ``broadcast_buffers=True`` cannot overwrite one rank's pending
    rows with rank 0's between accumulated micro-batches.

    Args:
        channels (int): Feature size C; ``d`` (:attr:`vector`) has shape (C,).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        # The buffer keeps the name 'direction': checkpoints store it as '...direction.direction'.
        self.register_buffer('direction', torch.zeros(channels))
        self._pending: Optional[Tensor] = None

    @property
    def vector(self) -> Tensor:
        """The head direction ``d`` (C,): the buffer itself, so in-place edits change ``d``."""
        return self.direction

    @property
    def is_zero(self) -> bool:
        """Whether no training batch has been folded in yet."""
        return not bool(self.direction.any())

    @torch.no_grad()
    def record(self, features: Tensor) -> None:
        """Add the rows of ``features`` (N, C) to the pending batch."""
        features = features.detach().reshape(-1, self.direction.numel()).to(torch.float64)
        finite = torch.isfinite(features).all(dim=1)
        if not bool(finite.all()):
            warnings.warn(f'HeadDirection: dropped {int((~finite).sum())} of {len(features)} '
                          'feature rows with NaN/inf values from the head direction update')
            features = features[finite]
        pending = torch.cat([features.sum(dim=0), features.new_tensor([len(features)])])
        self._pending = pending if self._pending is None else self._pending + pending

    @torch.no_grad()
    def update(self, momentum: float) -> None:
        """Fold the pending batch into ``d`` (``d <- momentum * d + global mean``) and clear it."""
        pending = self._pending
        if pending is None:  # every rank joins the all-reduce, also with nothing recorded
            pending = self.direction.new_zeros(self.direction.numel() + 1, dtype=torch.float64)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(pending, op=dist.ReduceOp.SUM)
        feature_sum, count = pending[:-1], pending[-1]
        if count > 0:
            mean = (feature_sum / count).to(self.direction.dtype)
            self.direction.mul_(momentum).add_(mean)
        self._pending = None

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        key = prefix + 'direction'
        if key not in state_dict:
            warnings.warn(f'checkpoint has no head direction "{key}" (trained without mmcausal?); '
                          'it starts at zero, so TDE falls back to the de-confounded logits until '
                          'training updates it')
            state_dict = {**state_dict, key: torch.zeros_like(self.direction)}
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
