"""Metrics (mmpretrain METRICS): many/medium/few-shot accuracy."""
from .long_tail_accuracy import LongTailAccuracy

__all__ = ['LongTailAccuracy']
from . import alpha_sweep  # noqa: F401  (the offline alpha sweep of tools/analysis)
