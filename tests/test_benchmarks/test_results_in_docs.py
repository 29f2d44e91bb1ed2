"""The accuracy tables of README.md and benchmarks/README.md hold the numbers of the committed
benchmark results (benchmarks/results/*.json), formatted as the benchmarks format them: a rerun
that changes a result fails here until the docs say the same."""
import json
import os.path as osp
import sys

import pytest
from _checkout import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
from long_tail_report import mean_std  # noqa: E402

RESULTS = osp.join(REPO, 'benchmarks', 'results')
# result file -> the docs whose tables show all of its rows (overall, many, medium)
SHOWN_IN = {'cifar10_lt_cpu.json': ('README.md', 'benchmarks/README.md'),
            'cifar10_lt_full.json': ('README.md', 'benchmarks/README.md'),
            'fashion_mnist_lt_cpu.json': ('README.md', 'benchmarks/README.md')}


def read(path: str) -> str:
    with open(osp.join(REPO, path)) as f:
        return f.read()


@pytest.mark.parametrize('result', sorted(SHOWN_IN))
def test_every_row_of_the_result_is_in_the_docs(result):
    with open(osp.join(RESULTS, result)) as f:
        rows = json.load(f)['rows']
    assert len(rows) == 6
    for doc in SHOWN_IN[result]:
        text = read(doc)
        for row, scores in rows.items():
            cells = [mean_std(scores[group]) for group in ('overall', 'many', 'medium')]
            assert any(line.startswith('|') and all(cell in line for cell in cells)
                       for line in text.splitlines()), f'{doc}: no table row with {row} {cells}'


def test_bf16_check_table_matches_both_results():
    fp32, bf16 = ({row: scores['overall'] for row, scores in
                   json.load(open(osp.join(RESULTS, name)))['rows'].items()}
                  for name in ('cifar10_lt_cpu.json', 'cifar10_lt_cpu_bf16.json'))
    text = read('benchmarks/README.md')
    for row in fp32:
        a, b = fp32[row], bf16[row]
        mean = sum(b) / 3 - sum(a) / 3
        cells = (f'{sum(a) / 3:.2f} ({min(a):.2f}-{max(a):.2f})',
                 f'{sum(b) / 3:.2f} ({min(b):.2f}-{max(b):.2f})', f'{mean:+.2f}')
        assert any(all(cell in line for cell in cells) for line in text.splitlines()), (row, cells)
