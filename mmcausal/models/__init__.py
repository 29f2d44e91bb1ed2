"""OpenMMLab adapters of :mod:`mmcausal.causal`: mmpretrain heads and backbone, and, when mmdet
and mmcv's compiled ops are installed (``bash tools/install.sh full``), the mmdet bbox head."""
from mmcausal.utils import detection_available
from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403

if detection_available():
    from .roi_heads import *  # noqa: F401,F403
