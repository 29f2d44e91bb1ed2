"""The paper in plain torch: no registry, no mmengine. Heads in :mod:`mmcausal.models` adapt it."""
from .classifier import CLASSIFIERS, VARIANTS, CausalClassifier, Normalization, split_groups
from .direction import HeadDirection
from .exemption import background_exempted_scores

__all__ = ['CLASSIFIERS', 'VARIANTS', 'CausalClassifier', 'HeadDirection', 'Normalization',
           'background_exempted_scores', 'split_groups']
