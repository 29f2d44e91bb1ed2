"""Markdown of the long-tailed benchmarks' results (``benchmarks/long_tail_cpu.py`` and
``benchmarks/cifar10_lt_full.py``): the rows of :func:`~mmcausal.apis.summarize`, mean ± std
over seeds, and what they were measured on."""
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmcausal.evaluation import COLUMNS, groups_in_words
from .protocol_scoring import ROW_TITLES, ROWS

#: Table 3 of the paper, CIFAR-10-LT ratio 100, 200 epochs, top-1 on the official test split.
PAPER = {'deconfound': 71.7, 'deconfound-tde': 80.6}


def mean_std(values: Sequence[float]) -> str:
    """Mean ± sample standard deviation (ddof 1); just the value for one seed."""
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}'


def data_line(counts: Sequence[int], val: int, test: str, source: str) -> str:
    """What the numbers were measured on: the training images per class, the ratio they really
    have, and the val and test splits (``test``: per class, or a description)."""
    return (f'Training subset: {list(counts)} images per class ({sum(counts)} in all, ratio '
            f'{counts[0] / counts[-1]:g}); val: {val} {source} per class, test: {test}. alpha '
            'and t are chosen on val by overall top-1; every number below is on test.')


def results_table(rows: Dict[str, dict], paper: Optional[Dict[str, float]] = None) -> List[str]:
    """Markdown lines of :func:`~mmcausal.apis.summarize`'s rows: top-1 (%) overall and per
    group, mean ± std over seeds, with the alpha or t each row used and the paper's number."""
    groups = [group for group in COLUMNS if any(group in entry for entry in rows.values())]
    lines = ['| row | ' + ' | '.join(groups) + ' | alpha or t |' + (' paper |' if paper else ''),
             '| --- |' + ' ---: |' * len(groups) + ' ---: |' + (' ---: |' if paper else '')]
    for row in ROWS:
        entry = rows[row]
        parameter = entry.get('alpha', entry.get('t', '-'))
        if isinstance(parameter, list):
            parameter = ', '.join(f'{value:g}' for value in parameter)
        cells = [mean_std(entry[group]) if group in entry else '-' for group in groups]
        lines.append(f'| {ROW_TITLES[row]} | ' + ' | '.join(cells) + f' | {parameter} |'
                     + (f" {paper.get(row, '-')} |" if paper else ''))
    return lines + ['', f'Top-1 in %; groups by training images per class: {groups_in_words()}.']
