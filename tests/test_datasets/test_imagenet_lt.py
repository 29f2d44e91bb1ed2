import pytest
from mmpretrain.registry import DATASETS

from mmcausal.datasets import ImageNetLT


@pytest.fixture
def split_root(tmp_path):
    """ImageNet-LT style split files: train 3 x class 0, 1 x class 2, 2 x class 999."""
    train = ['train/n01440764/a.JPEG 0', 'train/n01440764/b.JPEG 0', 'train/n01440764/c.JPEG 0',
             'train/n01484850/d.JPEG 2', 'train/n15075141/e.JPEG 999',
             'train/n15075141/f.JPEG 999']
    val = ['val/n01440764/v1.JPEG 0', 'val/n01443537/v2.JPEG 1']
    (tmp_path / 'ImageNet_LT_train.txt').write_text('\n'.join(train) + '\n')
    (tmp_path / 'ImageNet_LT_val.txt').write_text('\n'.join(val) + '\n')
    return tmp_path


def test_split_files_and_train_counts(split_root):
    val = DATASETS.build(dict(type='ImageNetLT', data_root=str(split_root),
                              ann_file='ImageNet_LT_val.txt'))
    assert len(val) == 2
    assert val.get_data_info(1) == dict(
        img_path=str(split_root / 'val/n01443537/v2.JPEG'), gt_label=1, sample_idx=1)
    counts = val.metainfo['train_class_counts']
    assert len(counts) == len(val.metainfo['classes']) == 1000
    assert (counts[0], counts[2], counts[999], sum(counts)) == (3, 1, 2, 6)

    train = ImageNetLT(ann_file=str(split_root / 'ImageNet_LT_train.txt'))
    assert len(train) == 6
    assert train.metainfo['train_class_counts'] == counts


def test_explicit_train_ann_file(split_root, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp('elsewhere')
    (elsewhere / 'train.txt').write_text('x/y.JPEG 7\n')
    val = ImageNetLT(ann_file='ImageNet_LT_val.txt', data_root=str(split_root),
                     train_ann_file=str(elsewhere / 'train.txt'))
    counts = val.metainfo['train_class_counts']
    assert counts[7] == 1 and sum(counts) == 1


def test_missing_train_split(tmp_path):
    (tmp_path / 'ImageNet_LT_test.txt').write_text('val/n01440764/t.JPEG 0\n')
    with pytest.raises(FileNotFoundError, match='set train_ann_file'):
        ImageNetLT(ann_file='ImageNet_LT_test.txt', data_root=str(tmp_path))
