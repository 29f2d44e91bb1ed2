"""benchmarks/lvis_mini_epochs.py on a tiny LVIS-mini (34 training scenes, every category rare,
each in 1 test scene): one linear and one de-confound model per number of epochs, their one-cycle
schedule stretched over them, the linear one measured as it is and the de-confound one at alpha 0
and 1.5, on test and on their own training objects; the same command resumes instead of
retraining."""
import json
import os
import os.path as osp
import subprocess
import sys

from _checkout import REPO, checkout_env

from mmcausal.compat import load_local_checkpoint

ITERATIONS_PER_EPOCH = 9  # 34 scenes, 4 per batch


def run(data: str, work_dir: str) -> subprocess.CompletedProcess:
    command = [sys.executable, 'benchmarks/lvis_mini_epochs.py', '--data', data, '--work-dir',
               work_dir, '--epochs', '1', '2', '--smoke']
    result = subprocess.run(command, cwd=REPO, env=checkout_env(), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_smoke_run_measures_each_schedule_and_resumes(tiny_lvis_mini, tmp_path):
    work_dir = str(tmp_path / 'work')
    run(tiny_lvis_mini, work_dir)

    with open(osp.join(work_dir, 'lvis_mini_epochs.json')) as f:
        result = json.load(f)
    effects = result['effects']
    assert list(effects) == [f'{epochs}: {model}' for epochs in ('1 epoch', '2 epochs')
                             for model in ('linear', 'de-confound', 'TDE')]
    for values in effects.values():
        assert list(values) == ['test: mask AP', 'test: APr', 'test: APc', 'test: APf',
                                'test: box AP', 'train: rare classified', 'train: rare in top 5']
        assert values['test: APc'] is None and values['test: APf'] is None  # all rare here
        assert 0 <= values['test: APr'] <= 100
        assert 0 <= values['train: rare classified'] <= values['train: rare in top 5'] <= 100
    # each model's one-cycle runs over its own epochs, in iterations
    for epochs, model in [(1, 'linear'), (1, 'deconfound'), (2, 'linear'), (2, 'deconfound')]:
        checkpoint = load_local_checkpoint(
            osp.join(work_dir, f'{model}-{epochs}e', f'epoch_{epochs}.pth'))
        assert checkpoint['meta']['epoch'] == epochs
        assert checkpoint['param_schedulers'][0]['total_steps'] == epochs * ITERATIONS_PER_EPOCH

    checkpoint = osp.join(work_dir, 'deconfound-2e', 'epoch_2.pth')
    trained_at = os.path.getmtime(checkpoint)
    run(tiny_lvis_mini, work_dir)
    assert os.path.getmtime(checkpoint) == trained_at
    with open(osp.join(work_dir, 'lvis_mini_epochs.json')) as f:
        assert json.load(f)['effects'] == effects
