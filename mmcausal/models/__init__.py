"""OpenMMLab adapters of :mod:`mmcausal.causal`: mmpretrain heads and backbone, mmdet bbox head."""
from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .roi_heads import *  # noqa: F401,F403
