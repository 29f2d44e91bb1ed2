"""tools/demo.py end to end: it trains two models and prints the many/medium/few table."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_demo_prints_the_table(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run([sys.executable, 'tools/demo.py', '--work-dir', str(tmp_path)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith('model'))
    assert lines[header].split() == ['model', 'many', 'medium', 'few', 'overall']
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
