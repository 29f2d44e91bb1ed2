"""Library code that builds models, dataloaders and runners: a checkpoint loaded for analysis
(the alpha sweep) and the short-budget long-tailed protocol. Not imported by ``import mmcausal``.
"""
from .analysis import (SPLITS, SplitTerms, head_features, load_for_analysis, split_terms,
                       sweep_checkpoint)
from .checkpoints import publish_checkpoint
from .config_options import PRECISIONS, data_root_options, precision_options
from .long_tail_protocol import (ROW_TITLES, ROWS, class_accuracy_table, extract_cifar10_jpg,
                                 long_tailed_options, score_seed, summarize, tiny_data_options,
                                 tiny_run_options, train)

__all__ = ['PRECISIONS', 'ROWS', 'ROW_TITLES', 'SPLITS', 'SplitTerms', 'class_accuracy_table',
           'data_root_options', 'extract_cifar10_jpg', 'head_features', 'load_for_analysis',
           'long_tailed_options', 'precision_options', 'publish_checkpoint', 'score_seed',
           'split_terms', 'summarize', 'sweep_checkpoint', 'tiny_data_options', 'tiny_run_options',
           'train']
