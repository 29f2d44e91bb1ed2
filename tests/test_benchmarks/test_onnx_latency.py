"""benchmarks/onnx_latency.py --smoke: the digits model exported twice, timed, and sized."""
import re
import subprocess
import sys

from _checkout import REPO, checkout_env

NUMBER = r'(\d+(?:\.\d+)?(?:e[+-]?\d+)?)'


def test_smoke_prints_the_ratio_and_the_sizes():
    result = subprocess.run([sys.executable, 'benchmarks/onnx_latency.py', '--smoke'], cwd=REPO,
                            env=checkout_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()

    assert lines[0].endswith(', 1 threads')
    assert lines[1].startswith('digits ResNet-8: digits_lt/deconfound-tde_resnet8_')
    assert "TDEClsHead: classifier='deconfound', K=2, alpha=1; LinearClsHead" in result.stdout
    ratio = re.search(rf'TDE {NUMBER} img/s, linear {NUMBER} img/s; TDE / linear: wall-clock '
                      rf'{NUMBER} \(rounds {NUMBER}-{NUMBER}\), CPU time {NUMBER}',
                      result.stdout)
    assert ratio and all(float(value) > 0 for value in ratio.groups()), result.stdout
    sizes = re.search(rf'file size: TDE {NUMBER} MiB, linear {NUMBER} MiB, TDE - linear '
                      r'([+-]\d+) bytes, of which weights ([+-]\d+) bytes', result.stdout)
    assert sizes, result.stdout
    # The folded head stores one (10, 64) weight and no bias, LinearClsHead a (10, 64) weight
    # and a (10,) bias: the weights differ by the bias and a few shape constants, far less than
    # a second (10, 64) matrix (2,560 bytes) that a leftover unfolded weight would add.
    assert abs(int(sizes.group(4))) < 200
