"""Metrics (mmpretrain METRICS): many/medium/few-shot accuracy, accuracy under a target class
prior (with its corrections and the EM estimate of an unknown prior).

The scoring of an alpha grid (:mod:`.alpha_sweep`) and post-hoc logit adjustment
(:mod:`.logit_adjustment`) are plain torch, imported where they are used.
"""
from .long_tail_accuracy import (COLUMNS, GROUP_COLORS, GROUPS, LongTailAccuracy, class_accuracy,
                                 group_rules, groups_in_words)
from .prior_shift import (TARGET_PRIORS, PriorWeightedAccuracy, adjusted_towards, correction_sweeps,
                          estimate_prior, exponential_prior, fit_temperature, log_prior_ratio,
                          prior_weighted_accuracy, target_prior, total_variation)

__all__ = ['COLUMNS', 'GROUP_COLORS', 'GROUPS', 'LongTailAccuracy', 'class_accuracy',
           'group_rules', 'groups_in_words', 'TARGET_PRIORS', 'PriorWeightedAccuracy',
           'adjusted_towards', 'correction_sweeps', 'estimate_prior', 'exponential_prior',
           'fit_temperature', 'log_prior_ratio', 'prior_weighted_accuracy', 'target_prior',
           'total_variation']
