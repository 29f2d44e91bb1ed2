"""benchmarks/cifar10_lt_full.sh: the configs keep the paper's schedule; a smoke run of the real
command on 80 real CIFAR-10 PNGs per class (the paper's setting: official test split from
``test/``) trains, scores and publishes, and the same command resumes instead of retraining; a
rerun with other settings is refused; the JPEG setting runs from a folder of training images."""
import glob
import json
import os
import os.path as osp
import subprocess

import torch
from _checkout import REPO, checkout_env
from mmengine.config import Config

CONFIGS = osp.join(REPO, 'configs', 'cifar10_jpg_lt')


def row_config(row: str, schedule: str = '1xb256-200e') -> dict:
    return Config.fromfile(osp.join(
        CONFIGS, f'{row}_resnet32_{schedule}_cifar10-jpg-lt-r100.py')).to_dict()


def test_configs_are_the_paper_rows_on_held_out_data():
    """The JPEG rows resolve to the configs/cifar_lt/ rows but for the data."""
    for row in ('linear', 'deconfound', 'deconfound-tde'):
        jpg = row_config(row)
        paper = Config.fromfile(osp.join(
            REPO, 'configs', 'cifar_lt',
            f'{row}_resnet32_1xb256-200e_cifar10-lt-r100.py')).to_dict()
        data = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'data_preprocessor',
                'val_evaluator', 'test_evaluator', 'long_tailed', 'jpg_train', 'jpg_test',
                'held_out_loader')
        assert {k: v for k, v in jpg.items() if k not in data} == \
            {k: v for k, v in paper.items() if k not in data}, row
        assert jpg['data_preprocessor'] == dict(paper['data_preprocessor'], to_rgb=True)
        for loader, subset in (('train', 'train'), ('val', 'val'), ('test', 'test')):
            dataset = jpg[f'{loader}_dataloader']['dataset']
            assert dataset['type'] == 'DecodedImages'
            long_tailed = dataset['dataset']
            assert (long_tailed['type'], long_tailed.get('subset', 'train')) == \
                ('LongTailedDataset', subset)
            assert (long_tailed['imbalance_ratio'], long_tailed['held_out_per_class'],
                    long_tailed['val_per_class']) == (100, 500, 250)
            assert 'max_per_class' not in long_tailed  # 5,000 - 500: 4,500 ... 45, ratio 100
            assert long_tailed['dataset']['type'] == 'CustomDataset'


def run(data: str, work_dir: str, *args: str) -> subprocess.CompletedProcess:
    command = ['bash', 'benchmarks/cifar10_lt_full.sh', '--data', data, '--work-dir', work_dir,
               '--smoke', *args]
    return subprocess.run(command, cwd=REPO, env=checkout_env(), capture_output=True, text=True,
                          timeout=900)


def results(work_dir: str, name: str) -> dict:
    with open(osp.join(work_dir, f'{name}.json')) as f:
        return json.load(f)


def test_paper_setting_smoke_run_resumes_and_publishes(cifar10_png_tiny, tmp_path):
    work_dir = str(tmp_path / 'work')
    first = run(cifar10_png_tiny, work_dir)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert 'seed0/deconfound 0/1 epochs, seed0/linear 0/1 epochs' in first.stdout
    assert 'seed0/deconfound 1/1 epochs, seed0/linear 1/1 epochs' in first.stdout
    result = results(work_dir, 'cifar10_lt_r100_paper')
    assert (result['epochs'], result['test']) == (1, 'official')
    assert list(result['rows']) == ['linear', 'linear-la', 'linear-la-val', 'deconfound',
                                    'deconfound-tde', 'deconfound-tde-val']
    # head 30 at ratio 10 -> int(30 * 10 ** (-i / 9)), drawn from the 80 images of each class
    assert result['train_class_counts'] == [30, 23, 17, 13, 10, 8, 6, 5, 3, 3]
    assert result['setup']['seeds'] == [0]
    assert result['rows']['deconfound-tde']['alpha'] == 1.0
    tde = result['rows']['deconfound-tde']['overall'][0]
    # on the 200 test images: a multiple of 0.5 %
    assert tde * 2 == round(tde * 2)
    with open(osp.join(work_dir, 'cifar10_lt_r100_paper.md')) as f:
        assert 'test: the test/ folder of --data (20 per class)' in f.read()
    published = glob.glob(osp.join(work_dir, 'deconfound_*_epoch_1-*.pth'))
    assert len(published) == 1 and osp.isfile(
        osp.join(work_dir, 'deconfound_resnet32_1xb256-200e_cifar10-lt-r100.log'))
    weights = torch.load(published[0], weights_only=True)
    assert set(weights) == {'state_dict', 'meta'}  # no optimizer, no message hub
    assert 'head.classifier.direction.direction' in weights['state_dict']

    # The same command again: both models are at their last epoch, nothing is retrained, and the
    # scores come out the same.
    checkpoint = osp.join(work_dir, 'seed0', 'deconfound', 'epoch_1.pth')
    trained_at = os.path.getmtime(checkpoint)
    again = run(cifar10_png_tiny, work_dir)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert os.path.getmtime(checkpoint) == trained_at
    assert results(work_dir, 'cifar10_lt_r100_paper')['rows']['deconfound-tde']['overall'][0] \
        == tde

    refused = run(cifar10_png_tiny, work_dir, '--precision', 'bf16')
    assert refused.returncode != 0
    assert 'rerun with the same arguments to resume, or pass another --work-dir' in refused.stderr


def test_jpg_setting_smoke_run(cifar10_jpg_tiny, tmp_path):
    work_dir = str(tmp_path / 'work')
    done = run(cifar10_jpg_tiny, work_dir, '--setting', 'jpg')
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = results(work_dir, 'cifar10_lt_full')
    assert (result['epochs'], result['test']) == (1, 'held-out')
    # tiny_data_options: head 30 at ratio 10, val and test 25 + 25 held out per class
    assert result['train_class_counts'] == [30, 23, 17, 13, 10, 8, 6, 5, 3, 3]
    assert len(glob.glob(osp.join(work_dir, 'linear_*_cifar10-jpg-lt-r100_epoch_1-*.pth'))) == 1


def test_data_folder_errors_name_the_flag(tmp_path):
    (tmp_path / 'train').mkdir()
    missing = run(str(tmp_path), str(tmp_path / 'work'))
    assert missing.returncode == 2
    assert f'--data {tmp_path}: no test/ in it; pass the folder holding train/ and test/' \
        in missing.stderr
