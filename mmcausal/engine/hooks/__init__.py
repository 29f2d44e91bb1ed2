from .head_direction_hook import HeadDirectionHook
from .train_class_counts_hook import TrainClassCountsHook

__all__ = ['HeadDirectionHook', 'TrainClassCountsHook']
