"""The committed 200-epoch CIFAR-10-LT checkpoints (benchmarks/results/, written by
benchmarks/cifar10_lt_full.py): weights only, named by their sha256, and the de-confound one
reproduces its reported de-confound and TDE accuracy on the held-out test split."""
import glob
import hashlib
import json
import os.path as osp
import subprocess
import tarfile
import uuid
from typing import List, Tuple

import mmengine
import pytest
import torch
from _checkout import REPO
from mmengine.config import Config
from mmengine.runner import Runner

from mmcausal.apis import data_root_options
from mmcausal.apis.checkpoints import ABSOLUTE_PATH

RESULTS = osp.join(REPO, 'benchmarks', 'results')
NAME = '{row}_resnet32_1xb256-200e_cifar10-jpg-lt-r100'
CONFIG = osp.join(REPO, 'configs', 'cifar10_jpg_lt', NAME.format(row='deconfound-tde') + '.py')
# Roots of the machines that made the artifacts, caught even where ABSOLUTE_PATH would not be.
MACHINE_ROOTS = ('/work/', '/root/', '/tmp/', '/home/', '/check/')


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
    """model-index.yml -> configs/cifar10_jpg_lt/metafile.yml: the published models' weights are
    the committed checkpoints, and each Top 1 Accuracy is the result's overall top-1 of its row."""
    with open(osp.join(RESULTS, 'cifar10_lt_full.json')) as f:
        rows = json.load(f)['rows']
    index = mmengine.load(osp.join(REPO, 'model-index.yml'))
    assert 'configs/cifar10_jpg_lt/metafile.yml' in index['Import']
    models = {model['Name']: model for model in mmengine.load(
        osp.join(REPO, 'configs', 'cifar10_jpg_lt', 'metafile.yml'))['Models'] if model['Results']}
    assert set(models) == {NAME.format(row=row)
                           for row in ('linear', 'deconfound', 'deconfound-tde')}
    for name, model in models.items():
        row = name.split('_')[0]
        assert model['Config'] == f'configs/cifar10_jpg_lt/{name}.py'
        assert osp.join(REPO, model['Weights']) == published(
            'linear' if row == 'linear' else 'deconfound')
        top1 = model['Results'][0]['Metrics']['Top 1 Accuracy']
        assert top1 == round(rows[row]['overall'][0], 2)


def committed_artifacts() -> list:
    """The files of benchmarks/results/ and configs/ that git tracks or would add (not ignored),
    else, outside a git checkout, every file there; relative to the repository root."""
    if osp.isdir(osp.join(REPO, '.git')):
        listed = subprocess.run(
            ['git', 'ls-files', '--cached', '--others', '--exclude-standard', 'benchmarks/results',
             'configs'], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
        return [path for path in listed if osp.isfile(osp.join(REPO, path))]
    return [osp.relpath(path, REPO) for folder in ('benchmarks/results', 'configs')
            for path in glob.glob(osp.join(REPO, folder, '**', '*'), recursive=True)
            if osp.isfile(path) and '__pycache__' not in path]


def strings_of(value) -> list:
    """Every string in a checkpoint's nested dicts, lists and tuples (keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in strings_of(key) + strings_of(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in strings_of(item)]
    return []


def texts_of(path: str) -> Tuple[List[str], bool]:
    """The text of an artifact and whether it is binary: a checkpoint's meta strings (loaded
    weights-only), a text file's content, or an image's bytes as latin-1."""
    if path.endswith('.pth'):
        meta = torch.load(osp.join(REPO, path), map_location='cpu', weights_only=True)['meta']
        return strings_of(meta), False
    with open(osp.join(REPO, path), 'rb') as f:
        content = f.read()
    try:
        return [content.decode('utf-8')], False
    except UnicodeDecodeError:
        return [content.decode('latin-1')], True


def test_no_committed_artifact_names_a_path_of_the_machine():
    """Checkpoints, logs, results and configs hold no absolute path (publish_checkpoint and
    publish_log strip them to ``<local>/name``); binary files (the plots) no machine root."""
    artifacts = committed_artifacts()
    assert any(path.endswith('.pth') for path in artifacts)
    assert any(path.endswith('.log') for path in artifacts)
    found = {}
    for path in artifacts:
        texts, binary = texts_of(path)
        paths = [root for text in texts for root in MACHINE_ROOTS if root in text]
        if not binary:
            paths += [match.group() for text in texts for match in ABSOLUTE_PATH.finditer(text)]
        if paths:
            found[path] = sorted(set(paths))
    assert not found, f'absolute paths in committed artifacts: {found}'
