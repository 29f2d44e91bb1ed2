"""benchmarks/lvis_mini_cpu.sh: a smoke run of the real command on a tiny LVIS-mini (generated from
the real Fashion-MNIST files and CIFAR-10 photographs: 34 training scenes, each category in 1 val
and 1 test scene) trains the three models, scores every row, and the same command resumes
instead of retraining; a rerun with other settings is refused."""
import json
import os
import os.path as osp
import subprocess

import pytest
from _checkout import REPO, checkout_env
from _tools import load_script
from PIL import Image

ROWS = ['random', 'linear', 'seesaw', 'deconfound', 'deconfound-tde', 'deconfound-tde-val',
        'deconfound-tde-no-exemption']
METRICS = {'segm_AP', 'segm_AP50', 'segm_AP75', 'segm_APr', 'segm_APc', 'segm_APf', 'bbox_AP'}


def annotations(data: str, split: str) -> int:
    """How many objects the ``split`` scenes of LVIS-mini in ``data`` hold."""
    with open(osp.join(data, 'annotations', f'lvis_mini_{split}.json')) as f:
        return len(json.load(f)['annotations'])


def run(data: str, work_dir: str, *args: str) -> subprocess.CompletedProcess:
    command = ['bash', 'benchmarks/lvis_mini_cpu.sh', '--data', data, '--work-dir', work_dir,
               '--seeds', '0', *args]
    return subprocess.run(command, cwd=REPO, env=checkout_env(), capture_output=True, text=True,
                          timeout=600)


def test_smoke_run_scores_every_row_and_resumes(tiny_lvis_mini, tmp_path):
    work_dir = str(tmp_path / 'work')
    first = run(tiny_lvis_mini, work_dir, '--smoke')
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert 'seed0/deconfound 0/1 epochs, seed0/linear 0/1 epochs, seed0/seesaw 0/1 epochs' \
        in first.stdout
    assert 'seed0/deconfound 1/1 epochs, seed0/linear 1/1 epochs, seed0/seesaw 1/1 epochs' \
        in first.stdout
    with open(osp.join(work_dir, 'lvis_mini_cpu.json')) as f:
        result = json.load(f)
    assert result['epochs'] == 1 and list(result['rows']) == ROWS
    for row, values in result['rows'].items():
        assert set(values) == METRICS | ({'alpha'} if row.startswith('deconfound-tde') else set())
        assert all(len(scores) == 1 for scores in values.values())  # one seed
        # every category of the tiny set is rare (8 ... 1 training scenes): LVIS reports -1 for
        # the common and frequent groups, here None
        assert values['segm_APc'] == values['segm_APf'] == [None]
        assert 0 <= values['segm_AP'][0] <= 100 and 0 <= values['bbox_AP'][0] <= 100
    tde = result['rows']
    assert tde['deconfound-tde']['alpha'] == tde['deconfound-tde-no-exemption']['alpha'] == [1.5]
    assert list(result['val'][0]) == ['1.5', '3']  # the smoke run's alphas on val
    chosen = tde['deconfound-tde-val']['alpha'][0]
    assert result['val'][0][f'{chosen:g}']['segm_AP'] == max(
        scores['segm_AP'] for scores in result['val'][0].values())
    assert result['data']['train_image_counts'] == [8, 7, 6, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2,
                                                    2, 1, 1, 1, 1]
    assert (result['data']['val_images'], result['data']['test_images']) == (10, 10)
    assert result['setup']['iterations_per_epoch'] == 9  # 34 scenes, 4 per batch
    assert set(result['setup']['training']) == {'seed0/deconfound', 'seed0/linear',
                                                'seed0/seesaw'}
    # where the objects go: every object of the test and training scenes counted once, all rare
    for split in ('test', 'train'):
        objects = annotations(tiny_lvis_mini, split)
        for row, rates in result['outcomes'][0][split].items():
            assert rates['objects'] == dict(r=objects), (split, row)
            assert 0 <= rates['detected']['r'] <= rates['found']['r'] <= 100
            assert rates['classified']['r'] <= rates['top5']['r']
    assert set(result['outcomes'][0]['test']) == {'linear', 'seesaw', 'deconfound',
                                                  'deconfound-tde'}
    with open(osp.join(work_dir, 'lvis_mini_cpu.md')) as f:
        assert "| De-confound-TDE (the paper's alpha) | 1.5 |" in f.read()
    # 4 test scenes (every category is rare here) x ground truth, linear, Seesaw, de-confound and
    # TDE, each 128 x 128 upscaled 3x
    assert Image.open(osp.join(work_dir, 'lvis_mini_cpu_scenes.png')).size == (5 * 384, 4 * 384)

    # The same command again: every model is at its last epoch and every score is kept, so
    # nothing is trained or tested again and the rows come out the same.
    checkpoint = osp.join(work_dir, 'seed0', 'deconfound', 'epoch_1.pth')
    trained_at = os.path.getmtime(checkpoint)
    again = run(tiny_lvis_mini, work_dir, '--smoke')
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert os.path.getmtime(checkpoint) == trained_at
    assert 'Epoch(test)' not in again.stdout + again.stderr
    with open(osp.join(work_dir, 'lvis_mini_cpu.json')) as f:
        assert json.load(f)['rows'] == result['rows']

    refused = run(tiny_lvis_mini, work_dir)  # 4 epochs, not the smoke run's 1
    assert refused.returncode != 0
    assert 'rerun with the same arguments to resume, or pass another --work-dir' in refused.stderr


def test_scores_of_runs_at_the_same_time_are_all_kept(tmp_path):
    """Two runs (seeds 0 and 1) on one work directory, each measuring a score after the other
    loaded the file: the file ends with both, and neither is measured twice."""
    scores = load_script('benchmarks/lvis_mini_cpu.py').Scores
    first, second = scores(str(tmp_path)), scores(str(tmp_path))
    assert first.get('seed0/linear/test', lambda: {'segm_AP': 1.0}) == {'segm_AP': 1.0}
    assert second.get('seed1/linear/test', lambda: {'segm_AP': 2.0}) == {'segm_AP': 2.0}
    assert first.get('seed0/linear/test', lambda: pytest.fail('measured twice')) == \
        {'segm_AP': 1.0}
    with open(tmp_path / 'scores.json') as f:
        assert json.load(f) == {'seed0/linear/test': {'segm_AP': 1.0},
                                'seed1/linear/test': {'segm_AP': 2.0}}
    assert not os.path.exists(tmp_path / 'scores.json.tmp')
