import hashlib
import os.path as osp

import pytest
import torch

from mmcausal.apis import publish_checkpoint, publish_log, published_checkpoint, strip_local_paths


def test_strip_local_paths_keeps_each_name_behind_local():
    text = ("data_root='/work/data/cifar10-jpg/train',\nwork_dir = '/work/runs/full/linear'\n"
            'CXX_COMPILER=/opt/rh/gcc-toolset-13/root/usr/bin/c++, CXX_FLAGS= -O2\n'
            'Checkpoints will be saved to /tmp/run/linear.\n')
    assert strip_local_paths(text) == (
        "data_root='<local>/train',\nwork_dir = '<local>/linear'\n"
        'CXX_COMPILER=<local>/c++, CXX_FLAGS= -O2\n'
        'Checkpoints will be saved to <local>/linear.\n')


@pytest.mark.parametrize('text', [
    "data_root='data/cifar10-jpg/train'", '2026/12/03 15:35:01 - mmengine - INFO - Epoch(train) '
    '[1][10/44]', 'lr/3 and 329 images/s', 'https://arxiv.org/abs/2009.12991',
    "'mmpretrain::_base_/models/resnet50.py'", 'work_dirs/<config name>/alpha_sweep.json',
    'TDE / linear', "data_root='<local>/train'", '<!-- /table -->'])
def test_strip_local_paths_leaves_relative_paths_dates_and_urls(text):
    assert strip_local_paths(text) == text


def test_publish_keeps_weights_and_meta_and_names_the_hash(tmp_path):
    state = {'head.classifier.direction.direction': torch.tensor([0.5, -1.0]),
             'backbone.conv.weight': torch.arange(6.).reshape(2, 3)}
    trained = tmp_path / 'epoch_200.pth'
    torch.save(dict(meta=dict(epoch=200, dataset_meta=dict(classes=('a', 'b'))),
                    state_dict=state, optimizer={'state': {0: torch.ones(3)}},
                    message_hub={'log_scalars': {}}), trained)
    path = publish_checkpoint(str(trained), str(tmp_path / 'released' / 'model'))
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert path == str(tmp_path / 'released' / f'model-{digest[:8]}.pth')
    assert sorted(p.name for p in (tmp_path / 'released').iterdir()) == [osp.basename(path)]
    released = torch.load(path, weights_only=True)
    assert set(released) == {'state_dict', 'meta'}
    assert released['meta'] == dict(epoch=200, dataset_meta=dict(classes=('a', 'b')))
    assert all(torch.equal(released['state_dict'][key], value) for key, value in state.items())


def test_publish_strips_the_paths_of_the_config_and_republishes_to_itself(tmp_path):
    cfg = ("train_dataloader = dict(dataset=dict(data_root='/work/data/cifar10-jpg/train'))\n"
           "work_dir = '/home/me/runs/deconfound'\n")
    trained = tmp_path / 'epoch_200.pth'
    torch.save(dict(meta=dict(cfg=cfg, experiment_name='deconfound_20261203_153501',
                              hook_msgs=dict(last_ckpt='/tmp/x/epoch_200.pth', seen=[1, 2])),
                    state_dict={'w': torch.ones(2)}), trained)
    path = publish_checkpoint(str(trained), str(tmp_path / 'model'))
    meta = torch.load(path, weights_only=True)['meta']
    assert meta == dict(
        cfg="train_dataloader = dict(dataset=dict(data_root='<local>/train'))\n"
            "work_dir = '<local>/deconfound'\n",
        experiment_name='deconfound_20261203_153501',
        hook_msgs=dict(last_ckpt='<local>/epoch_200.pth', seen=[1, 2]))
    assert publish_checkpoint(path, str(tmp_path / 'model')) == path


def test_publish_log_joins_the_logs_in_order_without_local_paths(tmp_path):
    first, resumed = tmp_path / 'a.log', tmp_path / 'b.log'
    first.write_text('Checkpoints will be saved to /work/runs/linear.\n')
    resumed.write_text('Load checkpoint from /work/runs/linear/epoch_10.pth\n')
    path = publish_log([str(first), str(resumed)], str(tmp_path / 'linear.log'))
    with open(path) as f:
        assert f.read() == ('Checkpoints will be saved to <local>/linear.\n'
                            'Load checkpoint from <local>/epoch_10.pth\n')
    with pytest.raises(ValueError, match='at least one log'):
        publish_log([], str(tmp_path / 'none.log'))


def test_published_checkpoint_finds_the_one_release_of_its_stem(tmp_path):
    trained = tmp_path / 'epoch_200.pth'
    torch.save(dict(meta=dict(epoch=200), state_dict={'w': torch.ones(2)}), trained)
    stem = str(tmp_path / 'model_epoch_200')
    with pytest.raises(FileNotFoundError, match=r'model_epoch_200-\*\.pth expected, found \[\]'):
        published_checkpoint(stem)
    path = publish_checkpoint(str(trained), stem)
    publish_checkpoint(str(trained), str(tmp_path / 'other_epoch_200'))  # another stem
    assert published_checkpoint(stem) == path
    torch.save(dict(meta=dict(epoch=100), state_dict={'w': torch.zeros(2)}), trained)
    second = publish_checkpoint(str(trained), stem)  # other weights: a second hash
    with pytest.raises(FileNotFoundError, match='expected, found') as error:
        published_checkpoint(stem)
    assert path in str(error.value) and second in str(error.value)
