"""The results tables of the docs are what benchmarks/render_tables.py renders from the committed
results (benchmarks/results/*.json, the config folders' metafiles): a rerun that changes a result
fails here until `python benchmarks/render_tables.py` has rewritten the docs, so no number of a
table is typed by hand."""
import glob
import json
import os.path as osp

import pytest
from _tools import load_script

render_tables = load_script('benchmarks/render_tables.py')


def test_every_doc_shows_its_tables_as_rendered():
    stale = []
    for doc, text in render_tables.rendered().items():
        with open(osp.join(render_tables.REPO, doc), encoding='utf-8') as f:
            if f.read() != text:
                stale.append(doc)
    assert not stale, f'run python benchmarks/render_tables.py: {stale} differ from the results'


def test_every_table_is_shown_and_every_result_in_a_table():
    shown = {match.group('name') for doc in render_tables.docs()
             for line in open(osp.join(render_tables.REPO, doc), encoding='utf-8')
             for match in [render_tables.BEGIN.match(line.rstrip('\n'))] if match}
    assert shown == set(render_tables.TABLES)
    assert 'README.md' in render_tables.docs() and 'docs/results.md' in render_tables.docs()
    read = {arg for table in render_tables.TABLES.values() for arg in table.args}
    results = {osp.basename(path) for path in glob.glob(osp.join(render_tables.RESULTS, '*.json'))}
    assert results <= read, f'results no table shows: {sorted(results - read)}'


def test_protocol_table_holds_the_numbers_of_the_json():
    """The 200-epoch rows, one seed, against the values of cifar10_lt_full.json written out."""
    lines = render_tables.TABLES['cifar10_lt_full']('.')
    assert lines[:2] == ['| row | overall | many | medium | alpha or t | paper |',
                         '| --- | ---: | ---: | ---: | ---: | ---: |']
    assert "| De-confound-TDE (the paper's alpha) | 75.68 | 77.10 | 70.00 | 1.0 | 80.6 |" in lines
    assert '| Linear + logit adjustment (t chosen on val) | 76.64 | 76.50 | 77.20 | 1.8 | - |' \
        in lines
    # the paper's setting, the official test split
    assert "| De-confound-TDE (the paper's alpha) | 80.97 | 81.06 | 80.60 | 1.0 | 80.6 |" in \
        render_tables.TABLES['cifar10_lt_r100_paper']('.')
    # three seeds: mean ± sample std, e.g. de-confound overall 39.88, 37.32, 37.44
    assert '| De-confound | 38.21 ± 1.44 | 47.77 ± 1.81 | 0.00 ± 0.00 | - | 71.7 |' in \
        render_tables.TABLES['cifar10_lt_cpu']('.')


def test_precision_check_table_compares_the_two_runs():
    lines = render_tables.TABLES['cifar10_lt_cpu_bf16_check']('.')
    # de-confound overall: fp32 39.88, 37.32, 37.44; bf16 its three seeds
    assert '| De-confound | 38.21 (37.32-39.88) | 38.61 (37.76-39.24) | +0.40 |' in lines
    assert len(lines) == 2 + 6


def test_model_table_links_the_published_checkpoints_from_the_doc():
    lines = render_tables.TABLES['cifar10_jpg_lt_models']('configs/cifar10_jpg_lt')
    tde = [line for line in lines if line.startswith('| `deconfound-tde_')]
    assert len(lines) == 2 + 3 and len(tde) == 1
    assert tde[0].startswith('| `deconfound-tde_resnet32_1xb256-200e_cifar10-jpg-lt-r100` | '
                             '75.68 | 80.6 | [config](deconfound-tde_resnet32_1xb256-200e_'
                             'cifar10-jpg-lt-r100.py) | [model](../../benchmarks/results/'
                             'deconfound_resnet32_1xb256-200e_cifar10-jpg-lt-r100_epoch_200-')
    assert tde[0].endswith('[log](../../benchmarks/results/deconfound_resnet32_1xb256-200e_'
                           'cifar10-jpg-lt-r100.log) |')
    paper = render_tables.TABLES['cifar_lt_models']('configs/cifar_lt')
    assert len(paper) == 2 + 3 and paper[3].startswith(
        '| `deconfound_resnet32_1xb256-200e_cifar10-lt-r100` | 73.26 | 71.7 | [config]'
        '(deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py) | [model](../../benchmarks/results/'
        'deconfound_resnet32_1xb256-200e_cifar10-lt-r100_epoch_200-88d28d16.pth)')


def test_nested_table_of_a_new_json(tmp_path, monkeypatch):
    """A JSON shaped like test_prior_shift.json's ``priors`` renders with one more entry."""
    with open(tmp_path / 'prior.json', 'w') as f:
        json.dump({'priors': {'forward-100': {'uncorrected': 81.234, 'TDE': 70.0},
                              'uniform': {'uncorrected': 60.5, 'TDE': 75.125}}}, f)
    monkeypatch.setattr(render_tables, 'RESULTS', str(tmp_path))
    monkeypatch.setitem(render_tables.TABLES, 'prior', render_tables.partial(
        render_tables.nested_table, 'prior.json', 'priors', 'row'))
    text = 'before\n<!-- table:prior -->\nstale\n<!-- /table -->\nafter'
    assert render_tables.render(text, '.') == (
        'before\n<!-- table:prior -->\n| row | forward-100 | uniform |\n| --- | ---: | ---: |\n'
        '| uncorrected | 81.23 | 60.50 |\n| TDE | 70.00 | 75.12 |\n<!-- /table -->\nafter')


@pytest.mark.parametrize('text, error', [
    ('<!-- table:nothing -->\n<!-- /table -->', "no table 'nothing'"),
    ('<!-- table:cifar10_lt_full -->\n', "'cifar10_lt_full' has no <!-- /table -->"),
    ('<!-- table:cifar10_lt_full -->\n<!-- table:cifar10_lt_cpu -->\n', 'begins before')])
def test_a_broken_marker_is_refused(text, error):
    with pytest.raises((KeyError, ValueError), match=error):
        render_tables.render(text, '.', 'doc.md')


def test_check_exits_1_for_a_stale_doc(tmp_path, monkeypatch, capsys):
    doc = tmp_path / 'README.md'
    doc.write_text('<!-- table:cifar10_lt_full -->\n| typed by hand |\n<!-- /table -->\n')
    monkeypatch.setattr(render_tables, 'REPO', str(tmp_path))
    assert render_tables.main(['--check']) == 1
    assert doc.read_text().count('typed by hand') == 1
    assert render_tables.main([]) == 0
    assert '| De-confound | 66.24 |' in doc.read_text()
    assert render_tables.main(['--check']) == 0
    assert capsys.readouterr().out.splitlines() == [
        '1 doc(s) differ from their results: README.md', '1 doc(s) rewritten: README.md',
        '0 doc(s) differ from their results']
