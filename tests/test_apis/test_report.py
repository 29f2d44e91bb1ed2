"""The markdown of the benchmarks' results: mean ± std over seeds, the data line and the table."""
from mmcausal.apis import ROWS
from mmcausal.apis.report import PAPER, data_line, mean_std, results_table


def test_mean_std_is_the_sample_std():
    assert mean_std([71.234]) == '71.23'
    assert mean_std([1.0, 2.0, 3.0]) == '2.00 ± 1.00'  # sqrt(((-1)^2 + 0 + 1^2) / 2)


def test_data_line():
    assert data_line([30, 10, 3], 25, '25 per class', 'held-out images') == (
        'Training subset: [30, 10, 3] images per class (43 in all, ratio 10); val: 25 held-out '
        'images per class, test: 25 per class. alpha and t are chosen on val by overall top-1; '
        'every number below is on test.')


def test_results_table_has_a_line_per_row_and_only_the_groups_present():
    rows = {row: dict(overall=[70.0, 72.0], many=[90.0, 90.0]) for row in ROWS}
    rows['deconfound-tde'].update(alpha=1.0)
    rows['deconfound-tde-val'].update(alpha=[1.1, 1.2])
    lines = results_table(rows, paper=PAPER)
    assert lines[:2] == ['| row | overall | many | alpha or t | paper |',
                         '| --- | ---: | ---: | ---: | ---: |']
    assert len(lines) == 2 + len(ROWS) + 2
    assert lines[2] == '| Baseline (linear) | 71.00 ± 1.41 | 90.00 ± 0.00 | - | - |'
    assert lines[2 + ROWS.index('deconfound-tde')] == (
        "| De-confound-TDE (the paper's alpha) | 71.00 ± 1.41 | 90.00 ± 0.00 | 1.0 | 80.6 |")
    assert lines[2 + ROWS.index('deconfound-tde-val')].endswith('| 1.1, 1.2 | - |')
    assert lines[-1].startswith('Top-1 in %; groups by training images per class: many-shot')
