"""benchmarks/sweep_speed.py, the README's alpha-sweep speed command, as a dry run: a digits
model of 1 epoch and 2 alphas instead of 5 epochs and 50. The times are not checked, the
agreement of the two paths' accuracies is: the sweep claims the numbers of tools/test.py."""
import re
import subprocess
import sys

from _checkout import REPO, checkout_env


def test_dry_run_sweep_and_test_runs_agree():
    result = subprocess.run(
        [sys.executable, 'benchmarks/sweep_speed.py', '--train-epochs', '1', '--alphas', '0,1.5'],
        cwd=REPO, env=checkout_env(OMP_NUM_THREADS='1'), capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout

    assert re.search(r'configs/digits_lt/deconfound_\S+\.py, test split, 2 alphas \(0 to 1\.5\)',
                     output), output[-2000:]
    assert re.search(r'sweep \(1 forward pass \+ in-memory scoring\): +\d+\.\d\d s', output)
    assert re.search(r'2 tools/test\.py-style runs: +\d+\.\d\d s', output)
    assert 'largest accuracy difference sweep vs test runs: 0.00 points (agree)' in output
