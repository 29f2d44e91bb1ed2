"""Let ``--launcher pytorch`` run on machines without CUDA (gloo over CPU processes)."""
import datetime

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> None:
    """Start a CPU process group and a device-less DDP wrapper for ``cfg``, when CUDA is absent.

    mmengine 0.10.7 pins each process of ``launcher='pytorch'`` to a GPU (``init_dist`` calls
    ``torch.cuda.set_device``) and wraps the model with ``device_ids=[LOCAL_RANK]``; both fail
    on a CPU-only machine. There this function initializes the process group from the
    launcher's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ...) with
    ``env_cfg.dist_cfg`` (backend and timeout), which the Runner then finds initialized, and
    sets ``model_wrapper_cfg`` to DDP without device ids, keeping mmengine's defaults
    ``broadcast_buffers=False`` and ``find_unused_parameters`` from the config. It does nothing
    with CUDA, without ``launcher='pytorch'``, or when a process group already exists.
    """
    if cfg.get('launcher') != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg', {})
    backend = dist_cfg.get('backend', 'gloo')
    if backend == 'nccl':
        raise ValueError("env_cfg.dist_cfg.backend='nccl' needs GPUs and this machine has none; "
                         'pass --cfg-options env_cfg.dist_cfg.backend=gloo')
    timeout = dist_cfg.get('timeout')
    kwargs = {} if timeout is None else dict(timeout=datetime.timedelta(seconds=timeout))
    dist.init_process_group(backend=backend, **kwargs)
    wrapper = dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                   find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
