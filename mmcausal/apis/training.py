"""Training a config with one seed, as the benchmarks and ``tools/demo.py`` do it per row."""
import os.path as osp
import time
from typing import Optional, Tuple

from mmengine.config import Config
from mmengine.runner import Runner


def train(config: str, work_dir: str, seed: int,
          cfg_options: Optional[dict] = None) -> Tuple[str, float]:
    """Train ``config`` with ``randomness.seed=seed`` (initialization and data order) into
    ``work_dir``; returns its last checkpoint and the training throughput in images/s (wall
    clock of ``Runner.train``, start-up and the final validation included)."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(work_dir=work_dir, randomness=dict(seed=seed), **(cfg_options or {})))
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    images = len(runner.train_dataloader.dataset) * runner.max_epochs
    return osp.join(runner.work_dir, f'epoch_{runner.max_epochs}.pth'), images / seconds
