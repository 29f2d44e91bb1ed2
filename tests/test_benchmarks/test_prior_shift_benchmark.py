"""benchmarks/prior_shift.py: the draw of a test set with a prior by hand, and a dry run
(``--smoke``) of the published checkpoints on 80 real CIFAR-10 JPEGs per class, its rows checked
against the Runner's ``test()`` with ``PriorWeightedAccuracy`` and its ``chosen`` against
``tools/analysis/choose_correction.py --target-prior``."""
import glob
import json
import os.path as osp
import uuid

import numpy as np
import pytest
import torch
from _checkout import REPO
from _tools import load_script, load_tool
from mmengine.config import Config
from mmengine.runner import Runner

from mmcausal.apis import data_root_options, tiny_data_options
from mmcausal.evaluation import exponential_prior

benchmark = load_script('benchmarks/prior_shift.py')


def test_draw_with_prior_by_hand():
    gt = torch.arange(3).repeat_interleave(10)  # 10 samples of each of 3 classes
    # the largest set with shares 0.5, 0.3, 0.2: min(10 / 0.5, 10 / 0.3, 10 / 0.2) = 20 images
    drawn = benchmark.draw_with_prior(gt, np.array([0.5, 0.3, 0.2]),
                                      torch.Generator().manual_seed(0))
    assert torch.bincount(gt[drawn], minlength=3).tolist() == [10, 6, 4]
    assert drawn.tolist() == sorted(set(drawn.tolist()))  # sorted, without replacement
    again = benchmark.draw_with_prior(gt, np.array([0.5, 0.3, 0.2]),
                                      torch.Generator().manual_seed(0))
    assert torch.equal(drawn, again)
    other = benchmark.draw_with_prior(gt, np.array([0.5, 0.3, 0.2]),
                                      torch.Generator().manual_seed(1))
    assert not torch.equal(drawn, other)
    # a class of prior 0 is left out; the rest as many as the scarcest allows
    drawn = benchmark.draw_with_prior(gt, np.array([0.0, 0.5, 0.5]),
                                      torch.Generator().manual_seed(0))
    assert torch.bincount(gt[drawn], minlength=3).tolist() == [0, 10, 10]


@pytest.fixture(scope='module')
def smoke(cifar10_jpg_tiny, tmp_path_factory):
    """The dry run on the published checkpoints: (its result, its out dir, the cfg options)."""
    out = str(tmp_path_factory.mktemp('prior_shift'))
    result = benchmark.main(['--data', cifar10_jpg_tiny, '--smoke', '--work-dir', out,
                             '--out', out])
    config = result['setup']['deconfound'][0]
    options = dict(data_root_options(osp.join(REPO, config), cifar10_jpg_tiny),
                   **tiny_data_options())
    return result, out, options


def published(row: str) -> str:
    paths = glob.glob(osp.join(REPO, 'benchmarks', 'results',
                               f'{row}_resnet32_1xb256-200e_cifar10-jpg-lt-r100_epoch_200-*.pth'))
    assert len(paths) == 1, paths
    return paths[0]


def runner_top1(row: str, options: dict, target, work_dir: str, **more) -> float:
    """tools/test.py's PriorWeightedAccuracy under ``target`` on the tiny test split."""
    config = osp.join(REPO, 'configs', 'cifar10_jpg_lt',
                      f'{row}_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py')
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(options, work_dir=work_dir, experiment_name=uuid.uuid4().hex,
                             log_level='ERROR', load_from=published(row),
                             test_evaluator=dict(type='PriorWeightedAccuracy',
                                                 target_prior=target), **more))
    return Runner.from_cfg(cfg).test()['prior_weighted/overall']


def test_smoke_writes_the_seven_priors(smoke):
    result, out, _ = smoke
    assert list(result['priors']) == ['forward-100', 'forward-50', 'forward-10', 'balanced',
                                      'backward-10', 'backward-50', 'backward-100']
    for rows in result['priors'].values():
        assert list(rows) == list(benchmark.ROWS)
        assert all(0 <= value <= 100 for value in rows.values())
    with open(osp.join(out, 'test_prior_shift.json')) as f:
        assert json.load(f)['priors'] == result['priors']
    with open(osp.join(out, 'test_prior_shift.md')) as f:
        text = f.read()
    for title in benchmark.ROWS.values():
        line = next(line for line in text.splitlines() if line.startswith(f'| {title} |'))
        assert line.count('|') == 9
    assert osp.getsize(osp.join(out, 'test_prior_shift.png')) > 0
    assert len(glob.glob(osp.join(out, '*.pt'))) == 4  # one forward per model and split
    # towards balanced, logit adjustment towards the target is the t = 1 row
    assert result['priors']['balanced']['la-target'] == result['priors']['balanced']['la']
    # 25 test images of each class, drawn with q: all 25 of the head, round(25 q / q_head)
    for name, detail in result['details'].items():
        prior = np.array(detail['prior'])
        assert detail['estimates'][0]['images'] == int(np.rint(25 * prior / prior.max()).sum())
        assert len(detail['estimates']) == 2


@pytest.mark.parametrize('name, row, target, alpha', [
    ('balanced', 'uncorrected', 'balanced', 0.0),
    ('forward-100', 'tde', exponential_prior(10, 100).tolist(), 1.0),
    ('backward-10', 'uncorrected', exponential_prior(10, 10, reverse=True).tolist(), 0.0),
])
def test_rows_equal_the_test_tool(smoke, name, row, target, alpha, tmp_path):
    result, _, options = smoke
    expected = runner_top1('deconfound', options, target, str(tmp_path),
                           **{'model.head.alpha': alpha})
    assert result['priors'][name][row] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize('name', ['forward-10', 'backward-100'])
def test_chosen_is_what_choose_correction_recommends(smoke, name, tmp_path):
    result, _, options = smoke
    prior = tmp_path / f'{name}.txt'
    prior.write_text('\n'.join(f'{q!r}' for q in result['details'][name]['prior']))
    setup = result['setup']
    summary = load_tool('choose_correction').main(
        [osp.join(REPO, setup['deconfound'][0]), osp.join(REPO, setup['deconfound'][1]),
         '--linear', osp.join(REPO, setup['linear'][0]), osp.join(REPO, setup['linear'][1]),
         '--alphas', '0,1,2', '--ts', '0,1,2', '--target-prior', str(prior), '--out',
         str(tmp_path), '--cfg-options', *(f'{key}={value}' for key, value in options.items())])
    chosen = result['details'][name]['chosen']
    recommendation = summary['recommendation']
    assert (recommendation['correction'], recommendation['value']) == \
        (chosen['correction'], chosen['value'])
    assert recommendation['score'] == pytest.approx(chosen['val'], abs=1e-9)
