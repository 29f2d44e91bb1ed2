"""tools/analysis/sweep_alpha.py and feature_stats.py on a digits model trained for one epoch.

The sweep's numbers are checked against the Runner's ``test()`` with ``model.head.alpha`` set (the
path of tools/test.py), and the feature statistics against a forward pass written out here. The
library under the tools is tested in tests/test_apis/test_analysis.py (loading, refusals),
tests/test_apis/test_arguments.py (alpha grids) and tests/test_evaluation/test_alpha_sweep.py
(scoring, selection).
"""
import json
import os
import os.path as osp
import subprocess
import sys
import uuid

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _checkout import REPO, checkout_env
from _reference import reference_logits
from _tools import load_tool
from matplotlib.image import imread
from mmengine.config import Config
from mmengine.runner import Runner

CONFIG = osp.join(REPO, 'configs', 'digits_lt', 'deconfound_resnet8_1xb32-30e_digits-lt-r100.py')
# the long-tailed training counts of the digits config and their groups (> 100, 20..100, < 20)
TRAIN_COUNTS = [124, 74, 44, 26, 16, 9, 5, 3, 2, 1]
GROUPS = ['many'] + ['medium'] * 3 + ['few'] * 6
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def digits_runner(work_dir: str, **options) -> Runner:
    """A Runner of the digits config, as tools/train.py and tools/test.py build it."""
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(work_dir=work_dir, experiment_name=uuid.uuid4().hex, **options))
    return Runner.from_cfg(cfg)


def assert_png(path: str) -> None:
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_SIGNATURE, path
    assert os.path.getsize(path) > 0
    height, width = imread(path).shape[:2]
    assert height > 100 and width > 100


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> str:
    """One epoch on the long-tailed digits; lr 0.02 so that the predictions are not one class."""
    work_dir = str(tmp_path_factory.mktemp('train'))
    digits_runner(work_dir, **{'train_cfg.max_epochs': 1, 'param_scheduler.end': 1,
                               'optim_wrapper.optimizer.lr': 0.02}).train()
    return osp.join(work_dir, 'epoch_1.pth')


@pytest.fixture(scope='module')
def sweep(checkpoint, tmp_path_factory):
    """The sweep tool, run as a user does, on the test split: (its JSON, its output, out dir)."""
    out = str(tmp_path_factory.mktemp('sweep'))
    result = subprocess.run(
        [sys.executable, 'tools/analysis/sweep_alpha.py', CONFIG, checkpoint, '--split', 'test',
         '--alphas', '0:2:0.25', '--select', 'balanced', '--out', out],
        cwd=REPO, env=checkout_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    with open(osp.join(out, 'alpha_sweep.json')) as f:
        return json.load(f), result.stdout, out


@pytest.mark.parametrize('alpha', [0.0, 1.5])
def test_sweep_equals_the_test_tool(sweep, checkpoint, tmp_path, alpha):
    summary, _, _ = sweep
    row = next(row for row in summary['results'] if row['alpha'] == alpha)
    metrics = digits_runner(str(tmp_path), load_from=checkpoint,
                            **{'model.head.alpha': alpha}).test()
    assert {f'long_tail/{group}' for group in ('overall', 'many', 'medium', 'few')} == \
        metrics.keys()
    for key, value in metrics.items():
        assert row[key.split('/')[1]] == pytest.approx(value, abs=1e-9), (alpha, key)


def test_sweep_grid_changes_the_predictions(sweep):
    summary, _, _ = sweep
    assert [row['alpha'] for row in summary['results']] == [0.25 * i for i in range(9)]
    by_alpha = {row['alpha']: row for row in summary['results']}
    # with this model, TDE at alpha=1.5 trades many-shot for few-shot accuracy
    assert by_alpha[1.5]['many'] < by_alpha[0.0]['many']
    assert by_alpha[1.5]['few'] > by_alpha[0.0]['few']


def test_sweep_selects_the_best_balanced_alpha(sweep):
    summary, stdout, out = sweep
    balanced = [np.mean([row['many'], row['medium'], row['few']]) for row in summary['results']]
    best = summary['results'][int(np.argmax(balanced))]
    assert summary['best'] == best
    assert summary['cfg_options'] == f'model.head.alpha={best["alpha"]!r}'
    assert f'--cfg-options model.head.alpha={best["alpha"]!r}' in stdout
    assert_png(osp.join(out, 'alpha_sweep.png'))


def test_feature_stats_match_a_direct_computation(checkpoint, tmp_path):
    summary = load_tool('feature_stats').main(
        [CONFIG, checkpoint, '--split', 'test', '--out', str(tmp_path)])
    for name in ('feature_norms', 'weight_norms', 'cos_head_direction'):
        assert_png(str(tmp_path / f'{name}.png'))
    with open(tmp_path / 'feature_stats.json') as f:
        assert json.load(f) == summary

    # head to tail: the training counts of the config, descending
    classes = summary['classes']
    assert [c['train_count'] for c in classes] == TRAIN_COUNTS
    assert [c['group'] for c in classes] == GROUPS
    assert [c['class'] for c in classes] == list(range(10))

    # the features by hand: backbone, neck, of the 50 held-out digits of each class
    runner = digits_runner(str(tmp_path / 'direct'))
    runner.load_checkpoint(checkpoint)
    model = runner.model.eval()
    dataset = runner.test_dataloader.dataset
    samples = [dataset[i] for i in range(len(dataset))]
    data = model.data_preprocessor(dict(inputs=[s['inputs'] for s in samples],
                                        data_samples=[s['data_samples'] for s in samples]))
    with torch.no_grad():
        x = model.neck(model.backbone(data['inputs']))[-1]
    labels = torch.tensor([s['data_samples'].gt_label.item() for s in samples])
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    weight = state['head.classifier.weight']
    direction = state['head.classifier.direction.direction']

    # de-confounded logits (alpha=0 here): K = 2, tau = 16, gamma = 1/32, groups 0..31, 32..63
    assert summary['alpha'] == 0
    w_groups, d_groups = weight.reshape(-1, 2, 32), direction.reshape(2, 32)
    z = reference_logits(x, weight, direction, 'deconfound', num_heads=2, alpha=0, tau=16.0,
                         gamma=1 / 32)
    correct = z.argmax(dim=1) == labels
    mean_cos = torch.stack([F.cosine_similarity(x[:, 32 * k:32 * (k + 1)], d_groups[k][None])
                            for k in (0, 1)], dim=1).mean(0)
    for c in (0, 9):
        assert classes[c]['samples'] == 50
        assert classes[c]['accuracy'] == pytest.approx(
            100 * correct[labels == c].float().mean().item())
        for k in (0, 1):
            w_k, d_k = w_groups[c, k], d_groups[k]
            assert classes[c]['direction_logits'][k] == pytest.approx(
                8 * (w_k @ d_k / d_k.norm()).item() / (w_k.norm().item() + 1 / 32), rel=1e-5)
        # the logit TDE removes per unit alpha, averaged over all 500 samples of the split
        assert classes[c]['mean_removal'] == pytest.approx(
            (mean_cos * torch.tensor(classes[c]['direction_logits'])).sum().item(), rel=1e-5)
        assert classes[c]['mean_feature_norm'] == pytest.approx(
            x[labels == c].norm(dim=1).mean().item(), rel=1e-5)
        assert classes[c]['weight_norm'] == pytest.approx(weight[c].norm().item(), rel=1e-6)

    # cos(x_k, d_k) of the 300 few-shot samples (classes 4-9) in channel group k=1 (32..63)
    few = labels >= 4
    x_k, d_k = x[few, 32:], direction[32:]
    cos = x_k @ d_k / (x_k.norm(dim=1) * d_k.norm())
    histogram = next(h for h in summary['cos_to_head_direction']
                     if h['channel_group'] == 1 and h['group'] == 'few')
    assert histogram['samples'] == 300 and sum(histogram['counts']) == 300
    assert histogram['mean'] == pytest.approx(cos.mean().item(), rel=1e-5)
    edges = np.asarray(summary['cos_bin_edges'])
    centers = (edges[:-1] + edges[1:]) / 2
    assert np.dot(histogram['counts'], centers) / 300 == pytest.approx(
        cos.mean().item(), abs=(edges[1] - edges[0]) / 2)


def test_default_criterion_is_the_benchmarks():
    """Overall top-1 on val, as mmcausal.apis.protocol_scoring chooses alpha and t."""
    assert load_tool('sweep_alpha').parse_args([CONFIG, 'unused.pth']).select == 'overall'


@pytest.mark.parametrize('flags, message', [
    (['--alphas', '0:4'], "argument --alphas: grid='0:4': a range is start:stop:step"),
    (['--alphas', '0,-1'], "argument --alphas: grid='0,-1': alpha=-1.0 is negative"),
    (['--split', 'train'], "argument --split: invalid choice: 'train'"),
    (['--select', 'median'], "argument --select: invalid choice: 'median'"),
])
def test_bad_flags_are_named(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_tool('sweep_alpha').main([CONFIG, 'unused.pth', *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
