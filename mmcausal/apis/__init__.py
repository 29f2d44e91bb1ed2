"""Library code that builds models, dataloaders and runners: a checkpoint loaded for analysis
(the alpha sweep) and the short-budget long-tailed protocol. Not imported by ``import mmcausal``.
"""
from .analysis import SPLITS, head_features, load_for_analysis, sweep_checkpoint
from .long_tail_protocol import (ROW_TITLES, ROWS, class_accuracy_table, extract_cifar10_jpg,
                                 long_tailed_options, score_seed, summarize, tiny_run_options,
                                 train)

__all__ = ['ROW_TITLES', 'ROWS', 'SPLITS', 'class_accuracy_table', 'extract_cifar10_jpg',
           'head_features',
           'load_for_analysis', 'long_tailed_options', 'score_seed', 'summarize',
           'sweep_checkpoint', 'tiny_run_options', 'train']
