"""The committed 200-epoch CIFAR-10-LT checkpoints (benchmarks/results/, written by
benchmarks/cifar10_lt_full.py): weights only, named by their sha256, and the de-confound one
reproduces its reported de-confound and TDE accuracy on the held-out test split."""
import glob
import hashlib
import json
import os.path as osp
import tarfile
import uuid

import mmengine
import pytest
import torch
from _checkout import REPO
from mmengine.config import Config
from mmengine.runner import Runner

from mmcausal.apis import data_root_options

RESULTS = osp.join(REPO, 'benchmarks', 'results')
NAME = '{row}_resnet32_1xb256-200e_cifar10-jpg-lt-r100'
CONFIG = osp.join(REPO, 'configs', 'cifar10_jpg_lt', NAME.format(row='deconfound-tde') + '.py')


def published(row: str) -> str:
    paths = glob.glob(osp.join(RESULTS, NAME.format(row=row) + '_epoch_200-*.pth'))
    assert len(paths) == 1, f'one published {row} checkpoint expected, found {paths}'
    return paths[0]


@pytest.mark.parametrize('row', ['linear', 'deconfound'])
def test_weights_only_and_named_by_hash(row):
    path = published(row)
    saved = torch.load(path, map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    with open(path, 'rb') as f:
        assert osp.basename(path).endswith(f'-{hashlib.sha256(f.read()).hexdigest()[:8]}.pth')
    if row == 'deconfound':  # the head direction travels with the weights
        assert saved['state_dict']['head.classifier.direction.direction'].norm() > 0


@pytest.fixture(scope='module')
def cifar10_jpg_train(shared_data, tmp_path_factory) -> str:
    """All 50,000 real CIFAR-10 training JPEGs, in class folders."""
    root = tmp_path_factory.mktemp('cifar10-jpg')
    with tarfile.open(osp.join(shared_data, 'cifar10-jpg', 'train.tar.gz')) as tar:
        tar.extractall(root, filter='data')
    return str(root / 'train')


def test_deconfound_checkpoint_reproduces_the_reported_rows(cifar10_jpg_train, tmp_path):
    with open(osp.join(RESULTS, 'cifar10_lt_full.json')) as f:
        rows = json.load(f)['rows']
    for alpha, row in ((0.0, 'deconfound'), (1.0, 'deconfound-tde')):
        cfg = Config.fromfile(CONFIG)
        cfg.merge_from_dict(dict(data_root_options(CONFIG, cifar10_jpg_train),
                                 work_dir=str(tmp_path), experiment_name=uuid.uuid4().hex,
                                 load_from=published('deconfound'), log_level='ERROR',
                                 **{'model.head.alpha': alpha}))
        metrics = Runner.from_cfg(cfg).test()
        assert metrics['long_tail/overall'] == pytest.approx(rows[row]['overall'][0], abs=0.01)


def test_model_index_lists_the_checkpoints_with_their_metrics():
    """model-index.yml -> configs/cifar10_jpg_lt/metafile.yml: every model's config and weights
    exist, and its Top 1 Accuracy is the result's overall top-1 of its row."""
    with open(osp.join(RESULTS, 'cifar10_lt_full.json')) as f:
        rows = json.load(f)['rows']
    index = mmengine.load(osp.join(REPO, 'model-index.yml'))
    assert index['Import'] == ['configs/cifar10_jpg_lt/metafile.yml']
    models = {model['Name']: model for model in mmengine.load(
        osp.join(REPO, index['Import'][0]))['Models']}
    assert set(models) == {NAME.format(row=row)
                           for row in ('linear', 'deconfound', 'deconfound-tde')}
    for name, model in models.items():
        row = name.split('_')[0]
        assert osp.isfile(osp.join(REPO, model['Config']))
        assert osp.join(REPO, model['Weights']) == published(
            'linear' if row == 'linear' else 'deconfound')
        top1 = model['Results'][0]['Metrics']['Top 1 Accuracy']
        assert top1 == round(rows[row]['overall'][0], 2)
