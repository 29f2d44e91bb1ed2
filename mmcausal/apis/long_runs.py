"""The bookkeeping of long, resumable training runs (the benchmarks' 200-epoch and detection runs):
the epoch a work directory has reached, the iteration times its logs hold, the settings a run
was started with."""
import glob
import json
import os
import os.path as osp
from typing import List

import numpy as np


def epochs_done(work_dir: str) -> int:
    """The epoch of the last checkpoint in ``work_dir`` (mmengine's ``last_checkpoint``), 0
    before the first."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return 0
    with open(pointer) as f:
        name = osp.basename(f.read().strip())
    return int(name[len('epoch_'):-len('.pth')])


def logged_iterations(work_dir: str) -> List[dict]:
    """The training entries (``time``, ``data_time`` per iteration) of every run's log."""
    entries = []
    for scalars in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(scalars) as f:
            entries += [entry for entry in map(json.loads, f) if 'lr' in entry]
    return entries


def check_settings(work_dir: str, settings: dict) -> None:
    """Record ``settings`` in ``work_dir``, or refuse a rerun with other settings."""
    path = osp.join(work_dir, 'settings.json')
    if osp.isfile(path):
        with open(path) as f:
            recorded = json.load(f)
        if recorded != settings:
            raise SystemExit(f'{work_dir} holds a run with other settings ({recorded}, now '
                             f'{settings}): rerun with the same arguments to resume, or pass '
                             'another --work-dir')
    else:
        os.makedirs(work_dir, exist_ok=True)
        with open(path, 'w') as f:
            json.dump(settings, f, indent=2)


def throughput(work_dir: str, batch: int) -> dict:
    """Images/s, median seconds and data wait per iteration, and training hours (the
    iterations times the median seconds per iteration: pauses, other jobs on the cores,
    checkpoints, validation and the epochs an interruption repeats are not counted), from the
    logs of every run in ``work_dir``."""
    entries = logged_iterations(work_dir)
    seconds = float(np.median([entry['time'] for entry in entries]))
    data = float(np.median([entry['data_time'] for entry in entries]))
    hours = max(entry['iter'] for entry in entries) * seconds / 3600
    return dict(images_per_s=batch / seconds, time=seconds, data_time=data, hours=hours)
