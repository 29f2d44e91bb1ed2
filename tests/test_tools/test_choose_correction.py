"""tools/analysis/choose_correction.py on a linear and a de-confound digits model trained here.

Every line of both tables is checked against the Runner's ``test()`` (the path of tools/test.py):
with ``model.head.alpha`` set for TDE, and on a linear checkpoint whose bias the test shifts by
``-t log p`` by hand for logit adjustment. The recommendation is then derived from those
numbers. The choice itself, on hand-made sweeps, is tested in
tests/test_evaluation/test_alpha_sweep.py. With ``--target-prior`` the same holds for
``PriorWeightedAccuracy`` under the target and a bias shifted by ``-t log p + t log q``;
``--estimate-prior`` is checked against EM on the probabilities of the same images.
"""
import json
import math
import os.path as osp
import subprocess
import sys
import uuid
from typing import Dict

import pytest
import torch
from _checkout import REPO, checkout_env
from _tools import load_tool
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from PIL import Image

from mmcausal.apis import split_terms
from mmcausal.evaluation import estimate_prior, fit_temperature, total_variation
from mmcausal.evaluation.prior_shift import read_prior

CONFIGS = {row: osp.join(REPO, 'configs', 'digits_lt', f'{row}_resnet8_1xb32-30e_digits-lt-r100.py')
           for row in ('linear', 'deconfound')}
# the long-tailed training counts of the digits configs: int(124 * 100 ** (-i / 9))
TRAIN_COUNTS = [124, 74, 44, 26, 16, 9, 5, 3, 2, 1]
GRID = [0.0, 0.5, 1.0, 1.5, 2.0]
BATCH = 50  # a --cfg-options of the tool, repeated in its command
EPOCHS = 5


def runner(row: str, work_dir: str, **options) -> Runner:
    cfg = Config.fromfile(CONFIGS[row])
    cfg.merge_from_dict(dict(work_dir=work_dir, experiment_name=uuid.uuid4().hex,
                             log_level='ERROR', **options))
    return Runner.from_cfg(cfg)


def test_accuracy(row: str, checkpoint: str, work_dir: str, **options) -> Dict[str, float]:
    """The long_tail/ metrics of tools/test.py, without the prefix."""
    metrics = runner(row, work_dir, load_from=checkpoint, **options).test()
    return {key.split('/')[1]: value for key, value in metrics.items()}


test_accuracy.__test__ = False  # a helper, not a test


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory) -> Dict[str, str]:
    """The linear and the de-confound digits model after 5 epochs (seconds)."""
    paths = {}
    for row in CONFIGS:
        work_dir = str(tmp_path_factory.mktemp(row))
        runner(row, work_dir, **{'train_cfg.max_epochs': EPOCHS,
                                 'param_scheduler.end': EPOCHS}).train()
        paths[row] = osp.join(work_dir, f'epoch_{EPOCHS}.pth')
    return paths


@pytest.fixture(scope='module')
def choice(checkpoints, tmp_path_factory):
    """The tool, run as a user does on the test split: (its JSON, its output, its out dir)."""
    out = str(tmp_path_factory.mktemp('choice'))
    result = subprocess.run(
        [sys.executable, 'tools/analysis/choose_correction.py', CONFIGS['deconfound'],
         checkpoints['deconfound'], '--linear', CONFIGS['linear'], checkpoints['linear'],
         '--split', 'test', '--alphas', '0:2:0.5', '--ts', '0:2:0.5', '--out', out,
         '--cfg-options', f'test_dataloader.batch_size={BATCH}'],
        cwd=REPO, env=checkout_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    with open(osp.join(out, 'choose_correction.json')) as f:
        return json.load(f), result.stdout, out


@pytest.fixture(scope='module')
def independent(checkpoints, tmp_path_factory) -> Dict[str, list]:
    """Both tables from tools/test.py's path: per alpha, and per t on a checkpoint whose
    linear bias is b - t log(n_i / sum n)."""
    work_dir = str(tmp_path_factory.mktemp('independent'))
    tde = [dict(alpha=alpha, **test_accuracy('deconfound', checkpoints['deconfound'], work_dir,
                                             **{'model.head.alpha': alpha}))
           for alpha in GRID]
    saved = torch.load(checkpoints['linear'], map_location='cpu', weights_only=True)
    bias = saved['state_dict']['head.classifier.bias'].clone()
    log_prior = torch.tensor([math.log(n / sum(TRAIN_COUNTS)) for n in TRAIN_COUNTS])
    logit_adjustment = []
    for t in GRID:
        saved['state_dict']['head.classifier.bias'] = bias - t * log_prior
        adjusted = osp.join(work_dir, f'adjusted_{t}.pth')
        torch.save(saved, adjusted)
        logit_adjustment.append(dict(alpha=t, **test_accuracy('linear', adjusted, work_dir)))
    return dict(tde=tde, logit_adjustment=logit_adjustment)


@pytest.mark.parametrize('correction', ['tde', 'logit_adjustment'])
def test_tables_equal_the_test_tool(choice, independent, correction):
    summary, stdout, _ = choice
    assert [row['alpha'] for row in summary[correction]] == GRID
    for row, expected in zip(summary[correction], independent[correction]):
        assert row.keys() == expected.keys() == {'alpha', 'overall', 'many', 'medium', 'few'}
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, abs=1e-9), (correction, row['alpha'], key)
    header = 'alpha' if correction == 'tde' else 't'
    assert f'  {header:>8s}  overall     many   medium      few' in stdout.splitlines()


def test_recommendation_is_the_best_overall_accuracy(choice, independent, checkpoints,
                                                     tmp_path):
    summary, stdout, out = choice
    # each model's best overall top-1, the smallest value on a tie; TDE's unless beaten
    best = {name: max(rows, key=lambda row: (row['overall'], -row['alpha']))
            for name, rows in independent.items()}
    name = 'logit_adjustment' \
        if best['logit_adjustment']['overall'] > best['tde']['overall'] else 'tde'
    value = best[name]['alpha']
    correction = {('tde', True): 'tde', ('tde', False): 'deconfound',
                  ('logit_adjustment', True): 'logit_adjustment',
                  ('logit_adjustment', False): 'linear'}[name, value > 0]
    recommendation = summary['recommendation']
    assert (recommendation['correction'], recommendation['value']) == (correction, value)
    assert recommendation['score'] == pytest.approx(best[name]['overall'], abs=1e-9)
    assert f'recommended, by overall accuracy on the test split ' \
        f'({best[name]["overall"]:.2f} %)' in stdout

    batch = f'test_dataloader.batch_size={BATCH}'
    command = {
        'tde': f'python tools/test.py {CONFIGS["deconfound"]} {checkpoints["deconfound"]} '
               f'--cfg-options {batch} model.head.alpha={value!r}',
        'deconfound': f'python tools/test.py {CONFIGS["deconfound"]} '
                      f'{checkpoints["deconfound"]} --cfg-options {batch} model.head.alpha=0.0',
        'logit_adjustment': f'python tools/test.py {CONFIGS["linear"]} '
                            f'{osp.join(out, f"logit_adjusted_t{value:g}.pth")} '
                            f'--cfg-options {batch}',
        'linear': f'python tools/test.py {CONFIGS["linear"]} {checkpoints["linear"]} '
                  f'--cfg-options {batch}',
    }[correction]
    assert recommendation['command'] == command
    assert f'test it: {command}' in stdout
    if correction == 'logit_adjustment':  # the written checkpoint scores what the table says
        written = command.split()[3]
        assert test_accuracy('linear', written, str(tmp_path)) == \
            pytest.approx({key: v for key, v in best[name].items() if key != 'alpha'})


def test_written_logit_adjusted_checkpoint(checkpoints, tmp_path):
    """The bias of the written checkpoint is b - t log p; everything else is unchanged."""
    path = str(tmp_path / 'adjusted.pth')
    load_tool('choose_correction').write_logit_adjusted(checkpoints['linear'], 1.5, TRAIN_COUNTS,
                                                        path)
    before = torch.load(checkpoints['linear'], map_location='cpu', weights_only=True)
    after = torch.load(path, map_location='cpu', weights_only=True)
    key = 'head.classifier.bias'
    expected = [b - 1.5 * math.log(n / sum(TRAIN_COUNTS))
                for b, n in zip(before['state_dict'][key].tolist(), TRAIN_COUNTS)]
    assert after['state_dict'][key].tolist() == pytest.approx(expected, rel=1e-6)
    assert {k for k in after['state_dict'] if k != key} == \
        {k for k in before['state_dict'] if k != key}
    for name, value in before['state_dict'].items():
        if name != key:
            assert torch.equal(after['state_dict'][name], value), name


@pytest.mark.parametrize('flags, message', [
    (['--alphas', '0.5:2:0.5'], 'argument --alphas: the grid must start at 0'),
    (['--ts', '1,2'], 'argument --ts: the grid must start at 0'),
    (['--ts', '0:2'], "argument --ts: grid='0:2': a range is start:stop:step"),
    (['--select', 'median'], "argument --select: invalid choice: 'median'"),
    (['--linear', 'only_one.py'], 'argument --linear: expected 2 arguments'),
])
def test_bad_flags_are_named(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_tool('choose_correction').main([CONFIGS['deconfound'], 'unused.pth', *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_de_confound_checkpoint_as_linear_is_refused(checkpoints, tmp_path):
    with pytest.raises(ValueError, match="has classifier='deconfound', not 'linear'"):
        load_tool('choose_correction').main(
            [CONFIGS['deconfound'], checkpoints['deconfound'], '--split', 'test', '--linear',
             CONFIGS['deconfound'], checkpoints['deconfound'], '--out', str(tmp_path)])


# --target-prior and --estimate-prior: the deployment's class prior q, here the training profile
# reversed (the tail classes most frequent), as a file of weights.
BACKWARD = list(reversed(TRAIN_COUNTS))


def prior_weighted(row: str, checkpoint: str, work_dir: str, target, **options) -> Dict[str, float]:
    """The metrics tools/test.py reports with PriorWeightedAccuracy for ``target``."""
    return test_accuracy(row, checkpoint, work_dir, **{
        'test_evaluator': dict(type='PriorWeightedAccuracy', target_prior=target,
                               many_shot_thr=100, few_shot_thr=20)}, **options)


@pytest.fixture(scope='module')
def backward_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp('prior') / 'backward.txt'
    path.write_text('\n'.join(map(str, BACKWARD)) + '\n')
    return str(path)


@pytest.fixture(scope='module')
def target_choice(checkpoints, backward_file, tmp_path_factory):
    """The tool with --target-prior FILE on the test split: (its JSON, its stdout, its out)."""
    out = str(tmp_path_factory.mktemp('target_choice'))
    summary = load_tool('choose_correction').main(
        [CONFIGS['deconfound'], checkpoints['deconfound'], '--linear', CONFIGS['linear'],
         checkpoints['linear'], '--split', 'test', '--alphas', '0:2:0.5', '--ts', '0:2:0.5',
         '--target-prior', backward_file, '--out', out])
    return summary, out


def test_target_prior_tables_equal_the_test_tool(checkpoints, target_choice, backward_file,
                                                 tmp_path):
    """Every row scores what tools/test.py reports with PriorWeightedAccuracy under q: TDE with
    model.head.alpha, logit adjustment on a checkpoint with the bias b - t log p + t log q."""
    summary, _ = target_choice
    assert summary['target_prior'] == backward_file
    for row, alpha in zip(summary['tde'], GRID):
        assert row['alpha'] == alpha
        expected = prior_weighted('deconfound', checkpoints['deconfound'], str(tmp_path),
                                  backward_file, **{'model.head.alpha': alpha})
        assert {k: v for k, v in row.items() if k != 'alpha'} == pytest.approx(expected), alpha
    saved = torch.load(checkpoints['linear'], map_location='cpu', weights_only=True)
    bias = saved['state_dict']['head.classifier.bias'].clone()
    shift = torch.tensor([math.log(n / sum(TRAIN_COUNTS)) - math.log(q / sum(BACKWARD))
                          for n, q in zip(TRAIN_COUNTS, BACKWARD)])
    for row, t in zip(summary['logit_adjustment'], GRID):
        saved['state_dict']['head.classifier.bias'] = bias - t * shift
        adjusted = str(tmp_path / f'towards_{t}.pth')
        torch.save(saved, adjusted)
        expected = prior_weighted('linear', adjusted, str(tmp_path), [float(q) for q in BACKWARD])
        assert {k: v for k, v in row.items() if k != 'alpha'} == pytest.approx(expected), t


def test_target_prior_command_reports_the_recommended_score(target_choice, backward_file,
                                                            tmp_path):
    summary, out = target_choice
    recommendation = summary['recommendation']
    command = recommendation['command'].split()
    assert command[-2:] == ['test_evaluator.type=PriorWeightedAccuracy',
                            f'test_evaluator.target_prior={backward_file}']
    options = dict(option.split('=') for option in command[5:])
    row = 'linear' if command[2] == CONFIGS['linear'] else 'deconfound'
    reported = test_accuracy(row, command[3], str(tmp_path), **{
        'test_evaluator': dict(type=options['test_evaluator.type'],
                               target_prior=options['test_evaluator.target_prior'],
                               many_shot_thr=100, few_shot_thr=20),
        **({'model.head.alpha': float(options['model.head.alpha'])}
           if 'model.head.alpha' in options else {})})
    assert reported['overall'] == pytest.approx(recommendation['score'], abs=1e-9)


def test_train_prior_leaves_the_linear_model_as_trained(checkpoints, tmp_path):
    """Towards the training prior, z - t log p + t log p = z for every t: the logit adjustment
    table is flat, its overall the linear model's top-1 weighted by the training counts."""
    summary = load_tool('choose_correction').main(
        [CONFIGS['deconfound'], checkpoints['deconfound'], '--linear', CONFIGS['linear'],
         checkpoints['linear'], '--split', 'test', '--alphas', '0,1', '--ts', '0:2:0.5',
         '--target-prior', 'train', '--out', str(tmp_path)])
    expected = prior_weighted('linear', checkpoints['linear'], str(tmp_path), 'train')
    for row in summary['logit_adjustment']:
        assert {k: v for k, v in row.items() if k != 'alpha'} == pytest.approx(expected)
    assert summary['recommendation']['correction'] != 'logit_adjustment'


def test_estimate_prior_from_a_folder(checkpoints, tmp_path):
    """The estimate from a folder of the test images of a skewed subset, written as PNGs (the
    pixels of the arrays the configs read), equals EM on the linear model's probabilities of the
    same images from the test split, softmax(z / T) with T fitted on the labelled split, and the
    tool reports its error to the folders' shares."""
    init_default_scope('mmpretrain')
    dataset = Runner.build_dataloader(Config.fromfile(CONFIGS['linear']).test_dataloader).dataset
    taken = [40, 30, 20, 10, 5, 5, 5, 5, 5, 5]  # of the 50 test images per class
    chosen = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        label = int(info['gt_label'])
        if sum(1 for i in chosen if i[1] == label) < taken[label]:
            chosen.append((index, label))
            folder = tmp_path / 'deploy' / str(label)
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(info['img']).save(folder / f'{index}.png')
    out = tmp_path / 'out'
    summary = load_tool('choose_correction').main(
        [CONFIGS['deconfound'], checkpoints['deconfound'], '--linear', CONFIGS['linear'],
         checkpoints['linear'], '--split', 'test', '--alphas', '0,1', '--ts', '0,1',
         '--estimate-prior', str(tmp_path / 'deploy'), '--out', str(out)])

    linear = split_terms(CONFIGS['linear'], checkpoints['linear'], 'test', linear=True)
    temperature = fit_temperature(linear.z, linear.gt, TRAIN_COUNTS)
    logits = linear.z[[index for index, _ in chosen]].double()
    expected, _ = estimate_prior(torch.softmax(logits / temperature, dim=1), TRAIN_COUNTS)
    estimate = summary['estimated_prior']
    assert estimate['temperature'] == pytest.approx(temperature, rel=1e-9)
    assert estimate['images'] == sum(taken)
    assert estimate['prior'] == pytest.approx(expected.tolist(), abs=1e-6)
    assert read_prior(str(out / 'estimated_prior.txt'), 10) == pytest.approx(expected, abs=1e-6)
    assert summary['target_prior'] == str(out / 'estimated_prior.txt')
    assert estimate['total_variation'] == pytest.approx(
        total_variation(expected, taken), abs=1e-6)


@pytest.mark.parametrize('flags, message', [
    (['--target-prior', 'uniform'], "argument --target-prior: 'uniform' is neither one of"),
    (['--target-prior', 'train', '--estimate-prior', '.'],
     'argument --estimate-prior: not allowed with argument --target-prior'),
    (['--estimate-prior', 'no/such/folder'], 'argument --estimate-prior: no/such/folder is not '
     'a folder'),
])
def test_bad_prior_flags_are_named(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_tool('choose_correction').main([CONFIGS['deconfound'], 'unused.pth', *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_prior_file_of_the_wrong_length_is_named(checkpoints, tmp_path):
    path = tmp_path / 'three.txt'
    path.write_text('1 2 3')
    with pytest.raises(ValueError, match=rf'--target-prior {path}: target prior file .* must '
                       r'hold one weight per class \(10\)'):
        load_tool('choose_correction').main(
            [CONFIGS['deconfound'], checkpoints['deconfound'], '--split', 'test',
             '--target-prior', str(path), '--out', str(tmp_path)])
