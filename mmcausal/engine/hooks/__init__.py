from .head_direction_hook import HeadDirectionHook

__all__ = ['HeadDirectionHook']
