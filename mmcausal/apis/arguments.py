"""Command-line arguments shared by the tools and the benchmarks: an alpha grid written as text
(:func:`parse_alphas`, :func:`grid_argument` for argparse) and the help of ``--select``."""
import argparse
import math
from typing import List

#: ``--select`` of the tools that choose alpha or t
#: (:data:`~mmcausal.evaluation.alpha_sweep.SELECT_CRITERIA`).
SELECT_HELP = ("accuracy to maximize on the split (default: overall, the benchmarks' choice): "
               'overall top-1, on a class-balanced val split the class-balanced accuracy; '
               'balanced, the mean of the many/medium/few accuracies present, for a long-tailed '
               'val split when every class matters alike (overall top-1 there follows the head '
               'classes); few, the few-shot accuracy, when the few-shot classes are the target')


def parse_alphas(grid: str) -> List[float]:
    """The alphas of ``grid``, written ``'start:stop:step'`` (stop included) or ``'a,b,c'``.

    A range holds ``start + i * step`` for i = 0, 1, ... up to ``stop`` (reached despite float
    error), each rounded to 10 decimals, so ``'0:1:0.1'`` gives 0.0, 0.1, ..., 1.0 as typed. A
    list is sorted and de-duplicated. Every alpha must be finite and >= 0.
    """
    def number(part: str) -> float:
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f'grid={grid!r}: {part!r} is not a finite number; give '
                             'start:stop:step (e.g. 0:4:0.1) or a comma list (e.g. 0,1.5,3)')
        return value

    if ':' in grid:
        parts = grid.split(':')
        if len(parts) != 3:
            raise ValueError(f'grid={grid!r}: a range is start:stop:step, e.g. 0:4:0.1')
        start, stop, step = (number(part) for part in parts)
        if step < 1e-10:
            raise ValueError(f'grid={grid!r}: step={parts[2]} must be > 0, e.g. 0:4:0.1')
        if stop < start:
            raise ValueError(f'grid={grid!r}: stop={parts[1]} is below start={parts[0]}')
        count = math.floor((stop - start) / step + 1e-9) + 1
        alphas = [round(start + i * step, 10) for i in range(count)]
    else:
        alphas = sorted({number(part) for part in grid.split(',')})
    if alphas[0] < 0:
        raise ValueError(f'grid={grid!r}: alpha={alphas[0]} is negative; TDE needs alpha >= 0 '
                         '(alpha=0 is the de-confounded model without TDE)')
    return alphas


def grid_argument(text: str) -> List[float]:
    """:func:`parse_alphas` as the ``type`` of a command-line flag: its errors are raised as
    ``argparse.ArgumentTypeError``, which argparse prints after the flag's name."""
    try:
        return parse_alphas(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
