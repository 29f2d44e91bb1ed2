"""mmcausal: de-confounded training and TDE inference (Tang et al., NeurIPS 2020) for OpenMMLab.

Importing it applies the fixes of :mod:`mmcausal.compat` whose bug the installed stack has
(``MMCAUSAL_COMPAT=0`` turns them off) and registers every module in the registries of
mmpretrain (heads, backbone, datasets, metric), mmdet (bbox head) and mmengine (hook).
"""
from . import compat

compat.apply()

from . import causal, datasets, engine, evaluation, models  # noqa: E402,F401  (registration)
from .version import __version__  # noqa: E402

__all__ = ['__version__']
