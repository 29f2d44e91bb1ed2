"""Where the tools write for a config: ``--work-dir`` (or ``--out``), else the config's own
``work_dir``, else ``work_dirs/CONFIG_NAME``, as OpenMMLab's tools do."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


def default_work_dir(config: str) -> str:
    """``work_dirs/CONFIG_NAME``, the config file's name without ``.py``: the directory of a tool
    run on ``config`` when neither the command line nor the config names one."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config))[0])


def runner_work_dir(cfg: Config, config: str, work_dir: Optional[str] = None) -> str:
    """The work directory of a Runner built from ``cfg``, loaded from ``config``: ``work_dir``
    (the command line's ``--work-dir``) when given, else ``cfg.work_dir`` when the config sets
    one, else :func:`default_work_dir`."""
    if work_dir is None:
        work_dir = cfg.get('work_dir')
    return default_work_dir(config) if work_dir is None else work_dir
