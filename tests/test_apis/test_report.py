"""The markdown of the benchmarks' results: mean ± std over seeds, the data line and the tables."""
from mmcausal.apis import ROWS
from mmcausal.apis.report import (DETECTION_ROW_TITLES, PAPER, data_line, detection_table, mean_std,
                                  outcomes_table, results_table)


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


def test_detection_table_has_a_line_per_row_with_the_papers_ap_and_apr():
    rows = {row: dict(segm_AP=[20.0, 22.0], segm_APr=[1.0, 1.0], segm_APc=[None, None],
                      segm_APf=[40.0, 41.0], bbox_AP=[23.25]) for row in DETECTION_ROW_TITLES}
    rows['deconfound-tde'].update(alpha=[1.5, 1.5])
    rows['deconfound-tde-val'].update(alpha=[1.0, 2.5])
    lines = detection_table(rows)
    assert lines[:2] == [
        '| row | alpha | mask AP | APr | APc | APf | box AP | paper, LVIS v0.5: AP / APr |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    assert len(lines) == 2 + len(DETECTION_ROW_TITLES)
    # 21.0 ± sqrt(2): mean ± sample std with one decimal; '-' for a group without ground truth
    assert lines[2] == '| Random boxes | - | 21.0 ± 1.4 | 1.0 ± 0.0 | - | 40.5 ± 0.7 | 23.2 | - |'
    assert lines[3].endswith('| 22.6 / 2.5 |')
    assert lines[6] == ("| De-confound-TDE (the paper's alpha) | 1.5, 1.5 | 21.0 ± 1.4 | "
                        '1.0 ± 0.0 | - | 40.5 ± 0.7 | 23.2 | 28.4 / 22.1 |')
    assert lines[7].startswith('| De-confound-TDE (alpha chosen on val) | 1, 2.5 |')
    assert lines[8].endswith('| 23.4 / 13.1 |')


def test_outcomes_table_averages_the_shares_over_seeds():
    def rates(found: float, classified: float) -> dict:
        return dict(found=dict(r=found, c=100.0), classified=dict(r=classified, c=50.0),
                    objects=dict(r=3, c=40))

    seeds = [{split: {'linear': rates(90.0, 0.0), 'deconfound-tde': rates(80.0, 10.0)}
              for split in ('test', 'train')},
             {split: {'linear': rates(100.0, 0.0), 'deconfound-tde': rates(80.0, 20.0)}
              for split in ('test', 'train')}]

    lines = outcomes_table(seeds)

    assert lines[:2] == [
        '| split: outcome | Baseline (linear): r / c | '
        "De-confound-TDE (the paper's alpha): r / c |",
        '| --- | ---: | ---: |']
    assert lines[2:6] == ['| test: found | 95.0 / 100.0 | 80.0 / 100.0 |',
                          '| test: classified | 0.0 / 50.0 | 15.0 / 50.0 |',
                          '| train: found | 95.0 / 100.0 | 80.0 / 100.0 |',
                          '| train: classified | 0.0 / 50.0 | 15.0 / 50.0 |']
    assert lines[-1] == 'Objects per group: test: r 3, c 40; train: r 3, c 40.'
