"""Whether the optional detection stack (mmdet on mmcv with compiled ops) is installed."""
from importlib.util import find_spec

DETECTION_INSTALL = 'bash tools/install.sh full'


def detection_available() -> bool:
    """True when mmdet and mmcv's compiled ops (``mmcv._ext``) are installed; imports neither.

    ``bash tools/install.sh`` installs mmcv-lite (no compiled ops), on which mmdet's models do
    not import; mmcausal's classification parts work there, its mmdet parts need
    ``bash tools/install.sh full``.
    """
    return find_spec('mmdet') is not None and find_spec('mmcv._ext') is not None
