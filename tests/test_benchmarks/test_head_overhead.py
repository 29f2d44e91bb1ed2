"""benchmarks/head_overhead.py, the README's cost-of-the-method command, as a dry run.

One round of one step per variant (the README's run: 7 rounds of 3, and 3 detection rounds),
16 RoIs per image and stage: the printed ratios are not measurements here, only their format
and the set-up they state are checked.
"""
import re
import subprocess
import sys

from _checkout import REPO, checkout_env

NUMBER = r'(\d+(?:\.\d+)?(?:e[+-]?\d+)?)'
RATIOS = re.compile(rf'TDE {NUMBER} (img/s|it/s), linear {NUMBER} (?:img/s|it/s); TDE / linear: '
                    rf'wall-clock {NUMBER} \(rounds {NUMBER}-{NUMBER}\), CPU time {NUMBER} '
                    rf'\(rounds {NUMBER}-{NUMBER}\)')


def test_dry_run_prints_the_three_ratios():
    result = subprocess.run(
        [sys.executable, 'benchmarks/head_overhead.py', '--threads', '1', '--repeats', '1',
         '--iters', '1', '--det-repeats', '1', '--det-rois', '16'],
        cwd=REPO, env=checkout_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()

    assert lines[0].endswith(', 1 threads')
    setup = next(line for line in lines if line.startswith('classification: '))
    norm = re.search(r'TDEClsHead \(deconfound, alpha=1.0, \|d\|=' + NUMBER + r'\)', setup)
    assert norm and float(norm.group(1)) > 0  # the warm-up steps updated the head direction
    assert any(line.startswith('detection: ') and '16 RoIs per image and stage' in line
               for line in lines)
    titles = [line.strip() for line in lines if line.startswith('  ') and line.endswith(':')]
    assert titles == ['train step (+ hook for TDE):', 'inference (test_step):',
                      'train iteration (+ hook for TDE):']
    reports = [RATIOS.search(line) for line in lines if 'TDE / linear' in line]
    assert [report.group(2) for report in reports] == ['img/s', 'img/s', 'it/s']
    for report in reports:
        tde, _, linear, wall, wall_low, wall_high, cpu, cpu_low, cpu_high = report.groups()
        assert float(tde) > 0 and float(linear) > 0 and float(cpu) > 0
        # one round: its ratio is the median, the lowest and the highest
        assert wall == wall_low == wall_high and cpu == cpu_low == cpu_high
