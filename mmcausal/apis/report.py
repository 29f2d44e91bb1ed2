"""Markdown of the long-tailed benchmarks' results (``benchmarks/long_tail_cpu.py``,
``benchmarks/cifar10_lt_full.py`` and ``benchmarks/lvis_mini_cpu.py``): their rows, mean ± std
over seeds, and what they were measured on."""
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmcausal.evaluation import COLUMNS, groups_in_words
from .protocol_scoring import ROW_TITLES, ROWS

#: Table 3 of the paper, CIFAR-10-LT ratio 100, 200 epochs, top-1 on the official test split.
PAPER = {'deconfound': 71.7, 'deconfound-tde': 80.6}

#: Tables 4 and 5 of the paper, LVIS v0.5 val, Cascade Mask R-CNN R101-FPN: mask AP and APr of
#: the baseline, de-confound and de-confound-TDE (alpha = 1.5) with and without background
#: exemption.
LVIS_PAPER = {'linear': dict(segm_AP=22.6, segm_APr=2.5),
              'deconfound': dict(segm_AP=25.7, segm_APr=11.4),
              'deconfound-tde': dict(segm_AP=28.4, segm_APr=22.1),
              'deconfound-tde-no-exemption': dict(segm_AP=23.4, segm_APr=13.1)}
#: The rows of ``benchmarks/lvis_mini_cpu.py`` as its tables name them, in their order.
DETECTION_ROW_TITLES = {
    'random': 'Random boxes',
    'linear': 'Baseline (linear)',
    'seesaw': 'Seesaw Loss',
    'deconfound': 'De-confound',
    'deconfound-tde': "De-confound-TDE (the paper's alpha)",
    'deconfound-tde-val': 'De-confound-TDE (alpha chosen on val)',
    'deconfound-tde-no-exemption': "De-confound-TDE (the paper's alpha), background not exempted"}
#: The metrics of the detection table: ``LVISMetric``'s, ``lvis/`` dropped, and their titles.
DETECTION_COLUMNS = {'segm_AP': 'mask AP', 'segm_APr': 'APr', 'segm_APc': 'APc',
                     'segm_APf': 'APf', 'bbox_AP': 'box AP'}


def mean_std(values: Sequence[float], digits: int = 2) -> str:
    """Mean ± sample standard deviation (ddof 1) with ``digits`` decimals; just the value for
    one seed."""
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return f'{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}'


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


def detection_table(rows: Dict[str, dict]) -> List[str]:
    """Markdown lines of ``benchmarks/lvis_mini_cpu.py``'s rows (row -> metric -> list over
    seeds, in %; None where a frequency group has no ground truth): the metrics of
    :data:`DETECTION_COLUMNS`, mean ± std over seeds with one decimal as LVIS reports them, the
    alpha of the TDE rows and the paper's mask AP / APr (:data:`LVIS_PAPER`)."""
    lines = ['| row | alpha | ' + ' | '.join(DETECTION_COLUMNS.values())
             + ' | paper, LVIS v0.5: AP / APr |',
             '| --- | ---: |' + ' ---: |' * len(DETECTION_COLUMNS) + ' ---: |']
    for row, title in DETECTION_ROW_TITLES.items():
        entry = rows[row]
        alpha = ', '.join(f'{value:g}' for value in entry['alpha']) if 'alpha' in entry else '-'
        cells = ['-' if None in entry[metric] else mean_std(entry[metric], 1)
                 for metric in DETECTION_COLUMNS]
        paper = LVIS_PAPER.get(row)
        reference = f"{paper['segm_AP']} / {paper['segm_APr']}" if paper else '-'
        lines.append(f'| {title} | {alpha} | ' + ' | '.join(cells) + f' | {reference} |')
    return lines


def outcomes_table(outcomes: List[dict]) -> List[str]:
    """Markdown lines of ``benchmarks/lvis_mini_cpu.py``'s ``outcomes`` (per seed, per split, per
    row: the share of each frequency group's objects with each outcome of
    :mod:`mmcausal.apis.detection_analysis`, and the ``objects`` per group): a line per split and
    outcome, per row the shares of the groups (``r / c / f``), mean over seeds with one decimal;
    then the objects per group."""
    first = outcomes[0]
    rows = list(next(iter(first.values())))
    groups = ' / '.join(next(iter(first.values()))[rows[0]]['objects'])
    lines = ['| split: outcome | ' + ' | '.join(f'{DETECTION_ROW_TITLES[row]}: {groups}'
                                                for row in rows) + ' |',
             '| --- |' + ' ---: |' * len(rows)]
    for split, by_row in first.items():
        for outcome in (name for name in by_row[rows[0]] if name != 'objects'):
            cells = [' / '.join(
                f'{np.mean([seed[split][row][outcome][group] for seed in outcomes]):.1f}'
                for group in by_row[row][outcome]) for row in rows]
            lines.append(f'| {split}: {outcome} | ' + ' | '.join(cells) + ' |')
    objects = '; '.join(
        f'{split}: ' + ', '.join(f'{group} {count}'
                                 for group, count in by_row[rows[0]]['objects'].items())
        for split, by_row in first.items())
    return lines + ['', f'Objects per group: {objects}.']
