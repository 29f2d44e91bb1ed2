"""tools/demo.py end to end: it trains two models and prints the many/medium/few table."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TABLE_HEADER = ['model', 'many', 'medium', 'few', 'overall']


def test_demo_prints_the_table(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run([sys.executable, 'tools/demo.py', '--work-dir', str(tmp_path)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == TABLE_HEADER)
    rows = {}
    for line in lines[header + 1:]:
        name, *values = line.rsplit(maxsplit=4)
        rows[name] = [float(value) for value in values]
    assert list(rows) == ['baseline (linear)', 'de-confound (alpha=0)',
                          'de-confound-TDE (alpha=1)'], result.stdout
    for name, values in rows.items():
        assert all(0 <= value <= 100 for value in values), (name, values)  # NaN fails too
    assert rows['de-confound (alpha=0)'] != rows['de-confound-TDE (alpha=1)']
    assert 'many-shot > 100, medium-shot 20..100, few-shot < 20' in result.stdout


def test_demo_cifar10_on_a_tiny_subset(cifar10_jpg_tiny, tmp_path):
    """``--cifar10 DIR --smoke``: the CIFAR-10-LT protocol end to end on 80 real images per class."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run(
        [sys.executable, 'tools/demo.py', '--cifar10', cifar10_jpg_tiny, '--smoke', '--work-dir',
         str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    # tiny_run_options: head 30 images, ratio 10, so int(30 * 10 ** (-i / 9)) images
    assert 'CIFAR-10-LT: 118 training images, per class: [30, 23, 17, 13, 10, 8, 6, 5, 3, 3]' \
        in lines
    # the table's header, not the model section of the config the Runners log while training
    header = next(i for i, line in enumerate(lines) if line.split() == TABLE_HEADER)
    rows = {}
    for line in lines[header + 1:header + 4]:
        name, *values = line.rsplit(maxsplit=4)
        rows[name] = values
    assert list(rows) == ['baseline (linear)', 'de-confound (alpha=0)',
                          'de-confound-TDE (alpha=1)']
    for name, (many, medium, few, overall) in rows.items():
        assert many == '-', name  # no class has > 100 training images
        assert all(0 <= float(value) <= 100 for value in (medium, few, overall)), name
    assert osp.isfile(tmp_path / 'alpha_sweep.png')
    assert f'alpha sweep (paper Fig. 4): {tmp_path / "alpha_sweep.png"}' in lines


def test_demo_cifar10_names_the_fix_for_a_missing_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, 'tools/demo.py', '--cifar10', str(tmp_path / 'missing')], cwd=REPO,
        capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert f'--cifar10 {tmp_path / "missing"}: no such folder' in result.stderr
    assert 'data/cifar10-jpg/train' in result.stderr
