"""Metrics (mmpretrain METRICS): many/medium/few-shot accuracy.

The scoring of an alpha grid (:mod:`.alpha_sweep`) and post-hoc logit adjustment
(:mod:`.logit_adjustment`) are plain torch, imported where they are used.
"""
from .long_tail_accuracy import (COLUMNS, GROUP_COLORS, GROUPS, LongTailAccuracy, class_accuracy,
                                 group_rules, groups_in_words)

__all__ = ['COLUMNS', 'GROUP_COLORS', 'GROUPS', 'LongTailAccuracy', 'class_accuracy',
           'group_rules', 'groups_in_words']
