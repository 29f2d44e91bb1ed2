import hashlib
import os.path as osp

import torch

from mmcausal.apis import publish_checkpoint


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
