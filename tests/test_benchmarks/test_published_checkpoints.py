"""The committed 200-epoch CIFAR-10-LT checkpoints (benchmarks/results/, written by
benchmarks/cifar10_lt_full.py) of both settings: weights only, named by their sha256, listed in
the model zoo with their rows, and the de-confound one of each reproduces its reported
de-confound and TDE accuracy: on the held-out split of the JPEGs (``jpg``), on the official
test images (``paper``, read from the lossless image folders with ``image_folder_options``)."""
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

from mmcausal.apis import data_root_options, image_folder_options, published_checkpoint
from mmcausal.apis.checkpoints import ABSOLUTE_PATH

RESULTS = osp.join(REPO, 'benchmarks', 'results')
# setting of benchmarks/cifar10_lt_full.py -> (config folder, model name, results file)
SETTINGS = {
    'jpg': ('cifar10_jpg_lt', '{row}_resnet32_1xb256-200e_cifar10-jpg-lt-r100',
            'cifar10_lt_full.json'),
    'paper': ('cifar_lt', '{row}_resnet32_1xb256-200e_cifar10-lt-r100',
              'cifar10_lt_r100_paper.json'),
}
# Roots of the machines that made the artifacts, caught even where ABSOLUTE_PATH would not be.
MACHINE_ROOTS = ('/work/', '/root/', '/tmp/', '/home/', '/check/')


def published(setting: str, row: str) -> str:
    return published_checkpoint(osp.join(RESULTS, SETTINGS[setting][1].format(row=row)
                                         + '_epoch_200'))


def config(setting: str, row: str) -> str:
    folder, name, _ = SETTINGS[setting]
    return osp.join(REPO, 'configs', folder, name.format(row=row) + '.py')


def reported_rows(setting: str) -> dict:
    with open(osp.join(RESULTS, SETTINGS[setting][2])) as f:
        return json.load(f)['rows']


@pytest.mark.parametrize('setting', sorted(SETTINGS))
@pytest.mark.parametrize('row', ['linear', 'deconfound'])
def test_weights_only_and_named_by_hash(setting, row):
    path = published(setting, row)
    saved = torch.load(path, map_location='cpu', weights_only=True)
    assert set(saved) == {'state_dict', 'meta'}
    with open(path, 'rb') as f:
        assert osp.basename(path).endswith(f'-{hashlib.sha256(f.read()).hexdigest()[:8]}.pth')
    if row == 'deconfound':  # the head direction travels with the weights
        assert saved['state_dict']['head.classifier.direction.direction'].norm() > 0


@pytest.fixture(scope='module')
def cifar10_folders(shared_data, tmp_path_factory) -> dict:
    """The data of each setting: all 50,000 CIFAR-10 training JPEGs in class folders
    (``jpg``), the lossless training and official test images as ``train/`` and ``test/``
    (``paper``)."""
    folders = {}
    for setting, archives in (('jpg', ['cifar10-jpg/train.tar.gz']),
                              ('paper', ['cifar10-png/train.tar.gz', 'cifar10-png/test.tar.gz'])):
        root = tmp_path_factory.mktemp(setting)
        for archive in archives:
            with tarfile.open(osp.join(shared_data, archive)) as tar:
                tar.extractall(root, filter='data')
        folders[setting] = str(root / 'train') if setting == 'jpg' else str(root)
    return folders


@pytest.mark.parametrize('setting', sorted(SETTINGS))
def test_deconfound_checkpoint_reproduces_the_reported_rows(setting, cifar10_folders, tmp_path):
    rows = reported_rows(setting)
    path = config(setting, 'deconfound-tde')
    data = (data_root_options if setting == 'jpg' else image_folder_options)(
        path, cifar10_folders[setting])
    for alpha, row in ((0.0, 'deconfound'), (1.0, 'deconfound-tde')):
        cfg = Config.fromfile(path)
        cfg.merge_from_dict(dict(data, work_dir=str(tmp_path), experiment_name=uuid.uuid4().hex,
                                 load_from=published(setting, 'deconfound'), log_level='ERROR',
                                 **{'model.head.alpha': alpha}))
        metrics = Runner.from_cfg(cfg).test()
        assert metrics['long_tail/overall'] == pytest.approx(rows[row]['overall'][0], abs=0.01)


@pytest.mark.parametrize('setting', sorted(SETTINGS))
def test_model_index_lists_the_checkpoints_with_their_metrics(setting):
    """model-index.yml -> the config folder's metafile.yml: the published models' weights are
    the committed checkpoints, and each Top 1 Accuracy is the result's overall top-1 of its row."""
    folder, name, _ = SETTINGS[setting]
    rows = reported_rows(setting)
    index = mmengine.load(osp.join(REPO, 'model-index.yml'))
    assert f'configs/{folder}/metafile.yml' in index['Import']
    models = {model['Name']: model for model in mmengine.load(
        osp.join(REPO, 'configs', folder, 'metafile.yml'))['Models'] if model['Results']}
    assert set(models) == {name.format(row=row)
                           for row in ('linear', 'deconfound', 'deconfound-tde')}
    for model_name, model in models.items():
        row = model_name.split('_')[0]
        assert model['Config'] == f'configs/{folder}/{model_name}.py'
        assert osp.join(REPO, model['Weights']) == published(
            setting, 'linear' if row == 'linear' else 'deconfound')
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
