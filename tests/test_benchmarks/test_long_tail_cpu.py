"""benchmarks/long_tail_cpu.py, data_path_speed.py and cpu_precision_speed.py, kept from rotting:
their smoke runs (the real commands; 1 epoch on 80 real CIFAR-10 JPEGs per class, or 1 round)."""
import json
import subprocess
import sys

import pytest
from _checkout import REPO, checkout_env

from mmcausal.engine import cpu_has_native_bf16


def test_cifar10_smoke(cifar10_jpg_tiny, tmp_path):
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        ['bash', 'benchmarks/cifar10_lt_cpu.sh', '--data', cifar10_jpg_tiny, '--seeds', '0', '1',
         '--work-dir', str(work_dir), '--smoke'],
        cwd=REPO, env=checkout_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(work_dir / 'cifar10_lt_cpu.json') as f:
        written = json.load(f)
    assert written['seeds'] == [0, 1] and written['epochs'] == 1
    assert written['train_class_counts'] == [30, 23, 17, 13, 10, 8, 6, 5, 3, 3]
    rows = written['rows']
    assert rows['deconfound-tde']['alpha'] == 1.0 and rows['linear-la']['t'] == 1.0
    assert all(len(rows[row]['overall']) == 2 for row in rows)
    text = (work_dir / 'cifar10_lt_cpu.md').read_text()
    assert '(118 in all, ratio 10); val: 25 held-out training images per class' in text
    assert 'test: 25 held-out training images per class (disjoint from val)' in text
    assert (work_dir / 'cifar10_lt_cpu_alpha_sweep.png').read_bytes()[:4] == b'\x89PNG'


def test_cifar10_needs_a_data_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, 'benchmarks/long_tail_cpu.py', 'cifar10', '--data', str(tmp_path / 'no')],
        cwd=REPO, env=checkout_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'no such folder; pass a folder of the CIFAR-10 training images' in result.stderr


def test_data_path_speed_smoke(cifar10_jpg_tiny):
    result = subprocess.run(
        [sys.executable, 'benchmarks/data_path_speed.py', '--data', cifar10_jpg_tiny, '--smoke',
         '--images', '20', '--rounds', '1'],
        cwd=REPO, env=checkout_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert '118 training images, 1 rounds of 20 samples each' in result.stdout
    assert 'ratio decoded / jpeg:' in result.stdout


def test_cpu_precision_speed_smoke():
    if not cpu_has_native_bf16():
        pytest.skip('this CPU has no bf16 instructions')
    result = subprocess.run(
        [sys.executable, 'benchmarks/cpu_precision_speed.py', '--rounds', '1', '--batch', '4'],
        cwd=REPO, env=checkout_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith('ResNet-32 train step, batch 4')
    assert [line.split()[0] for line in lines[1:]] == ['fp32', 'fp32', 'bf16']
    assert lines[1].endswith('speed-up over fp32 1.00x')
