"""tools/analysis/dataset_stats.py on generated long-tailed class folders, run as a user does.

The folders (``_folders``): train 7 / 5 / 3 / 1 images of ant, bee, cat, dog; test 2 / 1 / 1 / 2.
The config is the guide's (configs/custom/) pointed at them, its val LongTailAccuracy given
many_shot_thr=4 and few_shot_thr=2.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from _folders import THRESHOLDS, make_folders

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GUIDE_CONFIG = osp.join(REPO, 'configs', 'custom',
                        'deconfound_resnet50_8xb64-coslr-90e_custom-folder.py')
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]),
           OMP_NUM_THREADS='1')
ROW = re.compile(r'^\s+(\d+)\s+(\w+)\s+(\d+)(\s+\d+)?\s+(many|medium|few)$', re.MULTILINE)


@pytest.fixture(scope='module')
def config(tmp_path_factory) -> str:
    root = make_folders(tmp_path_factory.mktemp('data') / 'my_lt')
    path = tmp_path_factory.mktemp('configs') / 'my_lt.py'
    path.write_text(f'_base_ = {GUIDE_CONFIG!r}\n'
                    f'num_classes = 4\n'
                    f'train_dataloader = dict(dataset=dict(data_root={str(root)!r}))\n'
                    f'val_dataloader = dict(dataset=dict(data_root={str(root)!r}))\n'
                    f'test_dataloader = dict(dataset=dict(data_root={str(root)!r}))\n'
                    f'val_evaluator = dict(**{THRESHOLDS!r})\n')
    return str(path)


def stats(config: str, out: str, *args: str) -> str:
    result = subprocess.run([sys.executable, 'tools/analysis/dataset_stats.py', config, '--out',
                             out, *args], cwd=REPO, env=ENV, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_training_counts_of_the_folders(config, tmp_path):
    output = stats(config, str(tmp_path))
    # head to tail, one line per class: index, name, images, group (ant, bee > 4 > cat >= 2 > dog)
    assert ROW.findall(output) == [('0', 'ant', '7', '', 'many'), ('1', 'bee', '5', '', 'many'),
                                   ('2', 'cat', '3', '', 'medium'), ('3', 'dog', '1', '', 'few')]
    assert 'imbalance ratio (most / fewest images): 7.00' in output
    with open(tmp_path / 'dataset_stats_train.json') as f:
        summary = json.load(f)
    assert (summary['num_images'], summary['num_classes'], summary['imbalance_ratio']) == \
        (16, 4, 7.0)
    assert summary['thresholds'] == THRESHOLDS
    assert summary['groups'] == dict(many=['ant', 'bee'], medium=['cat'], few=['dog'])
    assert [(row['name'], row['images']) for row in summary['classes']] == \
        [('ant', 7), ('bee', 5), ('cat', 3), ('dog', 1)]
    assert (tmp_path / 'dataset_stats_train.png').read_bytes()[:4] == b'\x89PNG'


def test_test_split_is_grouped_by_the_training_counts(config, tmp_path):
    output = stats(config, str(tmp_path), '--split', 'val',
                   '--cfg-options', 'val_dataloader.dataset.data_prefix=test')
    rows = [(name, images, train.strip(), group)
            for _, name, images, train, group in ROW.findall(output)]
    assert rows == [('ant', '2', '7', 'many'), ('bee', '1', '5', 'many'),
                    ('cat', '1', '3', 'medium'), ('dog', '2', '1', 'few')]
    with open(tmp_path / 'dataset_stats_val.json') as f:
        summary = json.load(f)
    assert (summary['num_images'], summary['imbalance_ratio']) == (6, 2.0)
    assert [row['train_images'] for row in summary['classes']] == [7, 5, 3, 1]
