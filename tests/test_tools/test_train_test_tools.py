"""tools/train.py, tools/test.py and tools/dist_train.sh on the demo's digits config, for real.

Each test runs the tool as a user does, in a subprocess, for a few short epochs on the CPU.
"""
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine import load
from mmengine.config import Config
from mmpretrain.registry import DATASETS

import mmcausal  # noqa: F401  (registers LongTailedDataset, SklearnDigits)

from _dist import free_port

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'digits_lt', 'deconfound_resnet8_1xb32-30e_digits-lt-r100.py')
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]),
           OMP_NUM_THREADS='1')  # tiny models: one thread per process is fastest


def epochs(n: int) -> list:
    return [f'train_cfg.max_epochs={n}', f'param_scheduler.end={n}']


def run(*command: str, timeout: int = 300, **env) -> str:
    """Run a tool from the repository root; returns its output, fails the test on an error."""
    result = subprocess.run(command, cwd=REPO, env=dict(ENV, **env), capture_output=True,
                            text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{" ".join(command)} failed:\n{output[-5000:]}'
    return output


def only(pattern: str) -> str:
    """The one file matching ``pattern``."""
    matches = glob.glob(pattern)
    assert len(matches) == 1, f'expected one {pattern}, found {matches}'
    return matches[0]


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> str:
    """Three epochs of tools/train.py on the digits config (one leaves a constant classifier)."""
    work_dir = tmp_path_factory.mktemp('train')
    run(sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir),
        '--cfg-options', *epochs(3))
    return str(work_dir / 'epoch_3.pth')


def test_train_saves_the_head_direction(checkpoint):
    state = torch.load(checkpoint, map_location='cpu')
    direction = state['state_dict']['head.classifier.direction.direction']
    assert direction.shape == (64, ) and direction.abs().sum() > 0
    assert state['meta']['epoch'] == 3


def test_test_tool_changes_alpha_without_retraining(checkpoint, tmp_path):
    metrics, scores = {}, {}
    for alpha in (0.0, 2.0):
        work_dir, out = tmp_path / f'alpha{alpha}', tmp_path / f'alpha{alpha}.pkl'
        run(sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir', str(work_dir),
            '--out', str(out), '--cfg-options', f'model.head.alpha={alpha}')
        with open(only(str(work_dir / '*' / '*.json'))) as f:
            metrics[alpha] = json.load(f)
        predictions = load(str(out))
        assert len(predictions) == 500  # the 50 held-out digits of each class
        scores[alpha] = torch.stack([p['pred_score'] for p in predictions])

    for alpha, values in metrics.items():
        assert {'long_tail/overall', 'long_tail/many', 'long_tail/medium',
                'long_tail/few'} <= values.keys(), values
        assert all(0 <= values[f'long_tail/{group}'] <= 100
                   for group in ('overall', 'many', 'medium', 'few'))
    assert not torch.allclose(scores[0.0], scores[2.0])  # TDE changed the predictions ...
    assert metrics[0.0] != metrics[2.0]  # ... and so the accuracies


def test_dist_train_on_two_cpu_processes(tmp_path):
    output = run('bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(tmp_path),
                 '--cfg-options', *epochs(1), 'env_cfg.dist_cfg.backend=gloo',
                 PORT=str(free_port()))
    with open(only(str(tmp_path / '*' / '*.log'))) as f:
        log = f.read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log, output[-3000:]
    state = torch.load(str(tmp_path / 'epoch_1.pth'), map_location='cpu')
    # each of the 2 ranks iterated over half of the training images, 32 at a time
    train = Config.fromfile(CONFIG).train_dataloader
    half = math.ceil(len(DATASETS.build(train.dataset)) / 2)
    assert state['meta']['iter'] == math.ceil(half / train.batch_size)
    assert state['state_dict']['head.classifier.direction.direction'].abs().sum() > 0


def test_nccl_on_a_cpu_only_machine_names_the_fix(tmp_path):
    if torch.cuda.is_available():
        pytest.skip('this machine has CUDA, nccl is fine')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', CONFIG, '1', '--work-dir', str(tmp_path)], cwd=REPO,
        env=dict(ENV, PORT=str(free_port())), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'env_cfg.dist_cfg.backend=gloo' in result.stdout + result.stderr
