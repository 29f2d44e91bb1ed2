"""Library code that builds models, dataloaders and runners: a checkpoint loaded for analysis
(the alpha sweep), the ``cfg_options`` that change a config's data, size or precision, training
a config with a seed and scoring the rows of the long-tailed protocol, the tools' work directory.
Not imported by ``import mmcausal``.
"""
from .analysis import (SPLITS, SplitTerms, head_features, load_for_analysis, split_terms,
                       sweep_checkpoint)
from .checkpoints import publish_checkpoint, publish_log, published_checkpoint, strip_local_paths
from .config_options import (PRECISIONS, data_root_options, image_folder_options,
                             long_tailed_options, one_epoch_options, precision_options,
                             tiny_data_options, tiny_run_options)
from .protocol_scoring import ROW_TITLES, ROWS, class_accuracy_table, score_seed, summarize
from .training import train
from .work_dir import default_work_dir, runner_work_dir

__all__ = ['PRECISIONS', 'ROWS', 'ROW_TITLES', 'SPLITS', 'SplitTerms',
           'class_accuracy_table', 'data_root_options', 'default_work_dir',
           'head_features', 'image_folder_options', 'load_for_analysis',
           'long_tailed_options', 'one_epoch_options', 'precision_options',
           'publish_checkpoint', 'publish_log', 'published_checkpoint', 'runner_work_dir',
           'score_seed', 'split_terms', 'strip_local_paths', 'summarize', 'sweep_checkpoint',
           'tiny_data_options', 'tiny_run_options', 'train']
