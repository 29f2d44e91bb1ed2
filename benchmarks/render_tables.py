"""Write the results tables of the docs from the committed results, so no number is typed twice.

    python benchmarks/render_tables.py            # rewrite every table in the docs
    python benchmarks/render_tables.py --check    # exit 1 if a doc differs from its results

A doc marks each table it shows with the table's name in :data:`TABLES`::

    <!-- table:cifar10_lt_full -->
    (rendered lines, replaced on every run)
    <!-- /table -->

A table is one entry of :data:`TABLES`: its name, the function that renders it and the results it
reads (JSON files of ``benchmarks/results/``, or a config folder's ``metafile.yml``). A new
results JSON in the row format of ``cifar10_lt_full.json`` is one more
``partial(protocol_table, 'NAME.json', paper=PAPER)``; one of the shape ``{KEY: {column: {row:
number}}}`` (e.g. ``test_prior_shift.json``'s ``priors``) is one more ``partial(nested_table,
'NAME.json', KEY, corner)``. The docs read are :data:`DOCS`;
``tests/test_benchmarks/test_results_in_docs.py`` fails while one of them differs from this
script's output.
"""
import argparse
import glob
import json
import os.path as osp
import re
import sys
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

import mmengine
import numpy as np

from mmcausal.apis import ROW_TITLES
from mmcausal.apis.report import PAPER, detection_table, outcomes_table, results_table

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS = osp.join(REPO, 'benchmarks', 'results')
# The docs that may show tables, as globs relative to the repository root.
DOCS = ('README.md', 'benchmarks/README.md', 'docs/*.md', 'configs/*/README.md')
BEGIN = re.compile(r'^<!-- table:(?P<name>[\w-]+) -->$')
END = '<!-- /table -->'


def load_result(name: str) -> dict:
    """The results JSON ``benchmarks/results/{name}``."""
    with open(osp.join(RESULTS, name), encoding='utf-8') as f:
        return json.load(f)


def protocol_table(result: str, here: str, paper: Optional[Dict[str, float]] = None) -> List[str]:
    """The rows of a long-tailed benchmark's JSON (``{"rows": {row: {"overall": [per seed],
    ...}}}``), as the benchmark's own report prints them
    (:func:`mmcausal.apis.report.results_table`: mean ± sample std over seeds, the alpha or t of
    each row, the paper's number)."""
    return results_table(load_result(result)['rows'], paper)


def precision_check_table(fp32: str, bf16: str, here: str) -> List[str]:
    """Overall top-1 of the same benchmark run in fp32 and in bf16, row by row: the mean
    (min-max) over the seeds of each, and the difference of the means."""
    first, second = (load_result(name)['rows'] for name in (fp32, bf16))
    lines = ['| row | fp32: mean (min-max) | bf16: mean (min-max) | bf16 - fp32 |',
             '| --- | --- | --- | ---: |']
    for row, title in ROW_TITLES.items():
        a, b = first[row]['overall'], second[row]['overall']
        spread = [f'{np.mean(v):.2f} ({min(v):.2f}-{max(v):.2f})' for v in (a, b)]
        lines.append(f'| {title} | {spread[0]} | {spread[1]} | '
                     f'{np.mean(b) - np.mean(a):+.2f} |')
    return lines


def model_table(metafile: str, here: str, paper: Optional[Dict[str, float]] = None) -> List[str]:
    """The published models of a config folder's ``metafile.yml`` (those with ``Results``) as
    mmpretrain's READMEs list them: name, top-1, the paper's number (by the row in front of the
    name's first ``_``), and the links to the config, the weights and the training log (the
    weights' name up to ``_epoch_``, ``.log``), relative to the doc's folder ``here``."""
    models = mmengine.load(osp.join(REPO, metafile))['Models']
    lines = ['| Model | Top-1 (%) | paper | Config | Download |',
             '| :--- | ---: | ---: | :---: | :---: |']
    for model in (model for model in models if model['Results']):
        top1 = model['Results'][0]['Metrics']['Top 1 Accuracy']
        weights = model['Weights']
        log = weights[:weights.rindex('_epoch_')] + '.log'
        links = [osp.relpath(osp.join(REPO, path), osp.join(REPO, here))
                 for path in (model['Config'], weights, log)]
        row = model['Name'].split('_')[0]
        lines.append(f"| `{model['Name']}` | {top1:.2f} | {(paper or {}).get(row, '-')} | "
                     f'[config]({links[0]}) | [model]({links[1]}) \\| [log]({links[2]}) |')
    return lines


def nested_table(result: str, key: str, corner: str, here: str, decimals: int = 2) -> List[str]:
    """``{key: {column: {row: number}}}`` of a results JSON as a table of one column per outer
    key (e.g. a test prior) and one row per inner key (e.g. a correction), in the JSON's order,
    numbers with ``decimals`` decimals (as measured); ``corner`` names the rows."""
    table = load_result(result)[key]
    columns = list(table)
    lines = [f"| {corner} | {' | '.join(columns)} |", '| --- |' + ' ---: |' * len(columns)]
    for row in table[columns[0]]:
        lines.append(f'| {row} | ' + ' | '.join(f'{table[column][row]:.{decimals}f}'
                                                for column in columns) + ' |')
    return lines


def detection_rows(result: str, here: str) -> List[str]:
    """The rows of ``benchmarks/lvis_mini_cpu.py``'s JSON as its report prints them
    (:func:`mmcausal.apis.report.detection_table`: mask and box AP, APr / APc / APf, mean ± std
    over seeds, the paper's LVIS v0.5 AP / APr)."""
    return detection_table(load_result(result)['rows'])


def detection_outcomes(result: str, here: str) -> List[str]:
    """Where each frequency group's objects go in ``benchmarks/lvis_mini_cpu.py``'s JSON
    (:func:`mmcausal.apis.report.outcomes_table`: found, detected, classified given their box,
    top 5; per split and row)."""
    return outcomes_table(load_result(result)['outcomes'])


# name -> the lines of the table, given the folder of the doc that shows it
TABLES: Dict[str, Callable[[str], List[str]]] = {
    'cifar10_lt_r100_paper': partial(protocol_table, 'cifar10_lt_r100_paper.json', paper=PAPER),
    'cifar_lt_models': partial(model_table, 'configs/cifar_lt/metafile.yml', paper=PAPER),
    'cifar10_lt_full': partial(protocol_table, 'cifar10_lt_full.json', paper=PAPER),
    'cifar10_lt_cpu': partial(protocol_table, 'cifar10_lt_cpu.json', paper=PAPER),
    'cifar10_lt_cpu_bf16_check': partial(precision_check_table, 'cifar10_lt_cpu.json',
                                         'cifar10_lt_cpu_bf16.json'),
    'fashion_mnist_lt_cpu': partial(protocol_table, 'fashion_mnist_lt_cpu.json'),
    'cifar10_jpg_lt_models': partial(model_table, 'configs/cifar10_jpg_lt/metafile.yml',
                                     paper=PAPER),
    'test_prior_shift': partial(nested_table, 'test_prior_shift.json', 'priors', 'row'),
    'cifar10_lt_attribution_overall': partial(nested_table, 'cifar10_lt_attribution.json',
                                              'overall', 'training; test split'),
    'cifar10_lt_attribution_steps': partial(nested_table, 'cifar10_lt_attribution.json', 'steps',
                                            'step (points)'),
    'lvis_mini_cpu': partial(detection_rows, 'lvis_mini_cpu.json'),
    'lvis_mini_outcomes': partial(detection_outcomes, 'lvis_mini_cpu.json'),
    'lvis_mini_epochs': partial(nested_table, 'lvis_mini_epochs.json', 'effects', 'measure (%)',
                                decimals=1),
}


def render(text: str, here: str, doc: str = 'the doc') -> str:
    """``text`` with the lines between each ``<!-- table:NAME -->`` and the next
    ``<!-- /table -->`` replaced by ``TABLES[NAME](here)``."""
    lines, out, table = text.split('\n'), [], None
    for number, line in enumerate(lines, 1):
        begin = BEGIN.match(line)
        if table is None:
            out.append(line)
            if begin:
                table = begin.group('name')
                if table not in TABLES:
                    raise KeyError(f'{doc}:{number}: no table {table!r} in TABLES of '
                                   f'benchmarks/render_tables.py; known: {sorted(TABLES)}')
                out.extend(TABLES[table](here))
        elif line == END:
            out.append(line)
            table = None
        elif begin:
            raise ValueError(f'{doc}:{number}: table {begin.group("name")!r} begins before '
                             f'{table!r} ends with {END}')
    if table is not None:
        raise ValueError(f'{doc}: table {table!r} has no {END}')
    return '\n'.join(out)


def docs() -> List[str]:
    """The docs of :data:`DOCS`, relative to the repository root."""
    return sorted(osp.relpath(path, REPO) for pattern in DOCS
                  for path in glob.glob(osp.join(REPO, pattern)))


def rendered() -> Dict[str, str]:
    """Every doc of :func:`docs` as this script writes it, by its path."""
    texts = {}
    for doc in docs():
        with open(osp.join(REPO, doc), encoding='utf-8') as f:
            texts[doc] = render(f.read(), osp.dirname(doc), doc)
    return texts


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='write nothing; exit 1 if a doc differs from its results')
    args = parser.parse_args(argv)
    stale = []
    for doc, text in rendered().items():
        with open(osp.join(REPO, doc), encoding='utf-8') as f:
            if f.read() == text:
                continue
        stale.append(doc)
        if not args.check:
            with open(osp.join(REPO, doc), 'w', encoding='utf-8') as f:
                f.write(text)
    verb = 'differ from their results' if args.check else 'rewritten'
    print(f"{len(stale)} doc(s) {verb}{': ' + ', '.join(stale) if stale else ''}")
    return 1 if args.check and stale else 0


if __name__ == '__main__':
    sys.exit(main())
