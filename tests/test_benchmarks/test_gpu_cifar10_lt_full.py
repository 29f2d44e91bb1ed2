"""benchmarks/gpu_cifar10_lt_full.sh, the prepared paper-scale GPU run, kept from rotting on CPU.

The dry run is the device command itself (``$OUT`` set, two training processes, scoring, the
files that come back) on 1 epoch of a tiny long-tailed subset of the real CIFAR-10 JPEGs, with
``--no-install`` since the stack is installed here; the other tests check, without data, that
the configs it trains keep the paper's schedule and that :class:`DecodedImages` serves what the
wrapped dataset would.
"""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys
from types import ModuleType

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from _folders import make_folders

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'benchmarks', 'gpu_cifar10_lt_full.py')


@pytest.fixture(scope='module')
def gpu_run() -> ModuleType:
    """The benchmark script as a module (imported once: it registers DecodedImages)."""
    if 'gpu_cifar10_lt_full' not in sys.modules:
        spec = importlib.util.spec_from_file_location('gpu_cifar10_lt_full', SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules['gpu_cifar10_lt_full'] = module
    return sys.modules['gpu_cifar10_lt_full']


def test_configs_keep_the_papers_schedule(gpu_run, tmp_path):
    """Only the data, the validation interval, checkpointing and cudnn.benchmark change."""
    options = gpu_run.data_options('images', workers=7, max_per_class=None,
                                     held_out_per_class=500, epochs=None)
    for row, path in gpu_run.write_configs(options, str(tmp_path)).items():
        written = Config.fromfile(path).to_dict()
        stock = Config.fromfile(gpu_run.config(row)).to_dict()
        changed = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'data_preprocessor',
                   'env_cfg', 'train_cfg', 'default_hooks')
        assert {key: value for key, value in written.items() if key not in changed} == \
            {key: value for key, value in stock.items() if key not in changed}, row
        assert written['train_cfg'] == dict(stock['train_cfg'], val_interval=200)
        assert written['data_preprocessor'] == dict(stock['data_preprocessor'], to_rgb=True)
        assert written['env_cfg'] == dict(stock['env_cfg'], cudnn_benchmark=True)
        hooks = stock['default_hooks']
        assert written['default_hooks'] == dict(
            hooks, checkpoint=dict(hooks['checkpoint'], interval=-1))  # only the last epoch's
        train = written['train_dataloader']
        assert train['batch_size'] == 256 and train['num_workers'] == 7
        assert train['persistent_workers'] and train['collate_fn']['type'] == 'default_collate'
        for loader, subset in (('train', 'train'), ('val', 'val'), ('test', 'test')):
            dataset = written[f'{loader}_dataloader']['dataset']
            assert dataset['type'] == 'DecodedImages'
            long_tailed = dataset['dataset']
            assert (long_tailed['type'], long_tailed['subset']) == ('LongTailedDataset', subset)
            assert long_tailed['imbalance_ratio'] == 100
            assert (long_tailed['held_out_per_class'], long_tailed['val_per_class']) == (500, 250)
            assert long_tailed['dataset']['data_root'] == 'images'
            assert long_tailed['dataset']['pipeline'][0] == dict(type='LoadImageFromFile')


def test_decoded_images_serve_the_wrapped_dataset(gpu_run, tmp_path):
    from mmpretrain.registry import DATASETS
    init_default_scope('mmpretrain')
    root = make_folders(tmp_path)
    source = dict(type='LongTailedDataset', imbalance_ratio=1, max_per_class=1,
                  dataset=dict(type='CustomDataset', data_root=str(root / 'train'),
                               pipeline=[dict(type='LoadImageFromFile'),
                                         dict(type='PackInputs')]))
    plain = DATASETS.build(source)
    decoded = DATASETS.build(dict(type='DecodedImages', dataset=source))
    assert len(decoded) == len(plain) > 0
    assert decoded.metainfo == plain.metainfo
    for i in range(len(plain)):
        assert decoded.get_data_info(i) == plain.get_data_info(i)
        expected, served = plain[i], decoded[i]
        assert torch.equal(served['inputs'], expected['inputs'])
        assert served['data_samples'].gt_label == expected['data_samples'].gt_label
    assert torch.equal(decoded[0]['inputs'], plain[0]['inputs'])  # served again, unchanged

    without_loading = dict(source, dataset=dict(source['dataset'], pipeline=[]))
    with pytest.raises(ValueError, match="put dict\\(type='LoadImageFromFile'\\) first"):
        DATASETS.build(dict(type='DecodedImages', dataset=without_loading))


def test_dry_run_of_the_device_command(shared_data, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    env = dict(os.environ, OUT=str(out), PYTHON=sys.executable)
    command = ['bash', 'benchmarks/gpu_cifar10_lt_full.sh', '--no-install', '--epochs', '1',
               '--max-per-class', '100', '--held-out-per-class', '50',
               '--archive', osp.join(shared_data, 'cifar10-jpg', 'train.tar.gz'),
               '--data', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'work')]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # What comes back from the device machine: at most 8 files, none in a folder.
    assert sorted(os.listdir(out)) == sorted([
        'cifar10_lt_full.md', 'cifar10_lt_full.json', 'cifar10_lt_full_alpha_sweep.png',
        'linear.log', 'deconfound.log', 'linear_epoch_1.pth', 'deconfound_epoch_1.pth',
        'run.log'])
    with open(out / 'cifar10_lt_full.json') as f:
        result_json = json.load(f)
    from mmcausal.apis import ROWS
    assert list(result_json['rows']) == list(ROWS)
    for row, metrics in result_json['rows'].items():
        assert 0 <= metrics['overall'] <= 100, row
    assert result_json['train_class_counts'] == [100, 59, 35, 21, 12, 7, 4, 2, 1, 1]
    assert [point['alpha'] for point in result_json['sweep']][::10] == [0.0, 1.0, 2.0, 3.0]
    setup = result_json['setup']
    assert (setup['epochs'], setup['jobs'], setup['val'], setup['test']) == (1, 2, 25, 25)
    for row in ('linear', 'deconfound'):
        timing = setup['training'][row]
        assert timing['images_per_s'] > 0 and 0 <= timing['data_time'] <= timing['time']
    text = (out / 'cifar10_lt_full.md').read_text()
    assert 'The official CIFAR-10 test split is not available here' in text
    assert 'A dry run on a reduced schedule or subset, not a result.' in text
    assert text in (out / 'run.log').read_text()
