import pytest
import torch
from _folders import make_folders
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

import mmcausal  # noqa: F401  (registers DecodedImages)
from mmcausal.datasets import class_counts, train_set_counts


@pytest.fixture
def source(tmp_path) -> dict:
    root = make_folders(tmp_path)
    return dict(type='LongTailedDataset', imbalance_ratio=1, max_per_class=1,
                dataset=dict(type='CustomDataset', data_root=str(root / 'train'),
                             pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))


def test_serves_the_wrapped_dataset(source):
    init_default_scope('mmpretrain')
    plain = DATASETS.build(source)
    decoded = DATASETS.build(dict(type='DecodedImages', dataset=source))
    assert len(decoded) == len(plain) == 4  # one image of each of the 4 classes
    assert decoded.metainfo == plain.metainfo
    for i in range(len(plain)):
        assert decoded.get_data_info(i) == plain.get_data_info(i)
        expected, served = plain[i], decoded[i]
        assert torch.equal(served['inputs'], expected['inputs'])
        assert served['data_samples'].gt_label == expected['data_samples'].gt_label
    assert torch.equal(decoded[0]['inputs'], plain[0]['inputs'])  # served again, unchanged


def test_needs_an_image_loader_first(source):
    init_default_scope('mmpretrain')
    without_loading = dict(source, dataset=dict(source['dataset'], pipeline=[]))
    with pytest.raises(ValueError, match="put dict\\(type='LoadImageFromFile'\\) first"):
        DATASETS.build(dict(type='DecodedImages', dataset=without_loading))


def test_decodes_in_full_init_and_counting_decodes_nothing(source):
    init_default_scope('mmpretrain')
    decoded = DATASETS.build(dict(type='DecodedImages', dataset=source))
    assert decoded.decoded is None and len(decoded) == 4  # built: nothing decoded yet
    assert class_counts(decoded) == [1, 1, 1, 1]
    assert train_set_counts(dict(dataset=dict(type='DecodedImages', dataset=source)))[0] == [
        1, 1, 1, 1]
    assert decoded.decoded is None  # the labels came from the wrapped dataset
    decoded.full_init()  # as the Runner does when it builds the dataloader
    images = decoded.decoded
    assert len(images) == 4 and images[0]['img'].shape == (8, 8, 3)
    decoded.full_init()
    decoded[3]
    assert decoded.decoded is images  # decoded once
