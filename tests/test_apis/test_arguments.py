"""The alpha grid of the tools' and benchmarks' command lines, written as text."""
import argparse
import re

import pytest

from mmcausal.apis.arguments import grid_argument, parse_alphas


@pytest.mark.parametrize('grid, alphas', [
    ('0:1:0.25', [0.0, 0.25, 0.5, 0.75, 1.0]),
    ('0:0.3:0.1', [0.0, 0.1, 0.2, 0.3]),  # 0.3 / 0.1 = 2.9999999999999996 in floats
    ('0.5:0.5:1', [0.5]),
    ('3, 0,1.5,3', [0.0, 1.5, 3.0]),
])
def test_alpha_grids(grid, alphas):
    assert parse_alphas(grid) == alphas


@pytest.mark.parametrize('grid, message', [
    ('0:4', 'start:stop:step'),
    ('0:4:0.1:1', 'start:stop:step'),
    ('0:x:0.1', "'x' is not a finite number"),
    ('0,,1', "'' is not a finite number"),
    ('0:inf:1', "'inf' is not a finite number"),
    ('0:4:0', 'step=0 must be > 0'),
    ('0:4:-0.1', 'step=-0.1 must be > 0'),
    ('4:0:0.1', 'stop=0 is below start=4'),
    ('-1:1:0.5', 'alpha=-1.0 is negative'),
    ('0,-0.5', 'alpha=-0.5 is negative'),
])
def test_bad_alpha_grids_are_named(grid, message):
    with pytest.raises(ValueError, match=re.escape(f'grid={grid!r}: ')) as error:
        parse_alphas(grid)
    assert message in str(error.value)


def test_grid_argument_reports_the_grid_error_to_argparse():
    assert grid_argument('0:1:0.5') == [0.0, 0.5, 1.0]
    with pytest.raises(argparse.ArgumentTypeError, match="grid='0:4': a range is start"):
        grid_argument('0:4')
