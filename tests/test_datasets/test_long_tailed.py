import os.path as osp
import tarfile
from collections import Counter

import numpy as np
import pytest
from mmpretrain.datasets import BaseDataset, CustomDataset
from mmpretrain.registry import DATASETS

from mmcausal.datasets import LongTailedDataset, SklearnDigits

CIFAR10_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
                   'ship', 'truck')


class FakeLabels(BaseDataset):
    """Labels only: ``per_class[c]`` samples of class c, classes interleaved like CIFAR."""

    def __init__(self, per_class, **kwargs):
        self.per_class = per_class
        classes = tuple(f'c{i}' for i in range(len(per_class)))
        super().__init__(ann_file='', metainfo=dict(classes=classes), **kwargs)

    def load_data_list(self):
        remaining = list(self.per_class)
        data_list = []
        while any(remaining):
            for c, left in enumerate(remaining):
                if left:
                    data_list.append(dict(gt_label=c, sample=len(data_list)))
                    remaining[c] -= 1
        return data_list


def labels_of(dataset):
    return [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]


def ldam_counts(img_max, cls_num, imb_factor):
    """The counts as LDAM's IMBALANCECIFAR10.get_img_num_per_cls writes them (imb_factor=1/r)."""
    img_num_per_cls = []
    for cls_idx in range(cls_num):
        num = img_max * (imb_factor ** (cls_idx / (cls_num - 1.0)))
        img_num_per_cls.append(int(num))
    return img_num_per_cls


@pytest.fixture(scope='module')
def cifar10_like():
    return FakeLabels([5000] * 10)


@pytest.fixture(scope='module')
def cifar100_like():
    return FakeLabels([500] * 100)


@pytest.mark.parametrize('source, ratio, total, head, tail', [
    ('cifar10_like', 100, 12406, 5000, 50),
    ('cifar10_like', 50, 13996, 5000, 100),
    ('cifar10_like', 10, 20431, 5000, 500),
    ('cifar100_like', 100, 10847, 500, 5),
    ('cifar100_like', 50, 12608, 500, 10),
    ('cifar100_like', 10, 19573, 500, 50),
])
def test_cifar_lt_sizes(request, source, ratio, total, head, tail):
    source = request.getfixturevalue(source)
    num_classes = len(source.metainfo['classes'])
    dataset = LongTailedDataset(source, imbalance_ratio=ratio)
    expected = ldam_counts(source.per_class[0], num_classes, 1 / ratio)
    assert len(dataset) == sum(expected) == total
    assert expected[0] == head and expected[-1] == tail
    per_class = Counter(labels_of(dataset))
    assert [per_class[c] for c in range(num_classes)] == expected
    assert dataset.metainfo['train_class_counts'] == expected
    assert dataset.metainfo['classes'] == source.metainfo['classes']
    # the wrapper serves the source's samples, each once
    samples = [dataset.get_data_info(i)['sample'] for i in range(len(dataset))]
    assert samples == sorted(set(samples)) == dataset.indices.tolist()


def test_step_profile():
    dataset = LongTailedDataset(FakeLabels([40] * 5), imbalance_ratio=4, profile='step')
    assert dataset.metainfo['train_class_counts'] == [40, 40, 10, 10, 10]
    assert Counter(labels_of(dataset)) == {0: 40, 1: 40, 2: 10, 3: 10, 4: 10}


def test_head_size_defaults_to_smallest_class():
    source = FakeLabels([30, 50, 20, 40])  # n_max = 20, ratio 4: 20 * 4 ** (-i / 3)
    dataset = LongTailedDataset(source, imbalance_ratio=4)
    assert dataset.metainfo['train_class_counts'] == [20, 12, 7, 5]
    dataset = LongTailedDataset(source, imbalance_ratio=4, max_per_class=30)
    assert dataset.metainfo['train_class_counts'] == [30, 18, 11, 7]


def test_seeded_and_deterministic(cifar10_like):
    first = LongTailedDataset(cifar10_like, seed=3).indices
    again = LongTailedDataset(FakeLabels([5000] * 10), seed=3).indices
    other = LongTailedDataset(cifar10_like, seed=4).indices
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert len(first) == len(other) == 12406


def test_held_out_is_reserved_balanced_and_disjoint():
    source = FakeLabels([50] * 4)  # profile at ratio 5: 50, 29, 17, 10
    plain = LongTailedDataset(source, imbalance_ratio=5, seed=1)
    train = LongTailedDataset(source, imbalance_ratio=5, seed=1, held_out_per_class=20)
    held_out = LongTailedDataset(source, imbalance_ratio=5, seed=1, held_out_per_class=20,
                                 subset='held_out')
    assert plain.metainfo['train_class_counts'] == [50, 29, 17, 10]
    # reserving 20 per class draws the profile from the head that is left, 50 - 20: int(30 *
    # 5 ** (-i / 3)) = 30, 17, 10, 6, so the ratio stays exactly 5
    assert train.metainfo['train_class_counts'] == [30, 17, 10, 6]
    assert held_out.metainfo['train_class_counts'] == [30, 17, 10, 6]
    assert Counter(labels_of(train)) == {0: 30, 1: 17, 2: 10, 3: 6}
    assert Counter(labels_of(held_out)) == {0: 20, 1: 20, 2: 20, 3: 20}
    assert not set(train.indices) & set(held_out.indices)
    # every class takes the first images of the same permutation as without a reservation
    assert set(train.indices) < set(plain.indices)


def test_val_and_test_split_the_held_out_images():
    source = FakeLabels([50] * 4)
    common = dict(imbalance_ratio=5, seed=1, held_out_per_class=20)
    held_out = LongTailedDataset(source, subset='held_out', **common)
    val = LongTailedDataset(source, subset='val', val_per_class=8, **common)
    test = LongTailedDataset(source, subset='test', val_per_class=8, **common)
    train = LongTailedDataset(source, val_per_class=8, **common)
    assert Counter(labels_of(val)) == {0: 8, 1: 8, 2: 8, 3: 8}
    assert Counter(labels_of(test)) == {0: 12, 1: 12, 2: 12, 3: 12}
    assert set(val.indices) | set(test.indices) == set(held_out.indices)
    assert not set(val.indices) & set(test.indices)
    assert not set(held_out.indices) & set(train.indices)
    assert val.metainfo['train_class_counts'] == test.metainfo['train_class_counts'] \
        == [30, 17, 10, 6]


def test_left_out_takes_what_the_draw_leaves():
    """The paper's profile over the whole source, val from the images it leaves."""
    source = FakeLabels([50] * 4)  # profile at ratio 5: 50, 29, 17, 10
    train = LongTailedDataset(source, imbalance_ratio=5, seed=1)
    left_out = LongTailedDataset(source, imbalance_ratio=5, seed=1, subset='left_out')
    capped = LongTailedDataset(source, imbalance_ratio=5, seed=1, subset='left_out',
                               left_out_per_class=25)
    assert train.metainfo['train_class_counts'] == [50, 29, 17, 10]
    assert left_out.metainfo['train_class_counts'] == [50, 29, 17, 10]
    # 50 - n_i per class: the head has nothing left
    assert Counter(labels_of(left_out)) == {1: 21, 2: 33, 3: 40}
    assert Counter(labels_of(capped)) == {1: 21, 2: 25, 3: 25}
    assert set(train.indices) | set(left_out.indices) == set(range(200))
    assert not set(train.indices) & set(left_out.indices)
    assert set(capped.indices) < set(left_out.indices)


def test_left_out_beside_a_reservation():
    source = FakeLabels([50] * 4)
    common = dict(imbalance_ratio=5, seed=1, held_out_per_class=20)
    held_out = LongTailedDataset(source, subset='held_out', **common)
    train = LongTailedDataset(source, **common)  # 30, 17, 10, 6
    left_out = LongTailedDataset(source, subset='left_out', **common)
    assert Counter(labels_of(left_out)) == {1: 13, 2: 20, 3: 24}
    assert set(train.indices) | set(left_out.indices) | set(held_out.indices) == set(range(200))
    assert not set(left_out.indices) & (set(train.indices) | set(held_out.indices))


def test_built_from_config_with_pipeline():
    """The demo's data: digits at ratio 50, 50 held out per class."""
    common = dict(type='LongTailedDataset', imbalance_ratio=50, held_out_per_class=50)
    train = DATASETS.build(dict(common, dataset=dict(
        type='SklearnDigits', pipeline=[dict(type='PackInputs')])))
    held_out = DATASETS.build(dict(common, dataset=dict(type='SklearnDigits'),
                                   subset='held_out'))
    sizes = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # digits per class
    expected = [int((min(sizes) - 50) * 50 ** (-i / 9)) for i in range(10)]
    assert expected == [124, 80, 51, 33, 21, 14, 9, 5, 3, 2]
    assert train.metainfo['train_class_counts'] == expected
    assert Counter(labels_of(train)) == dict(enumerate(expected))
    assert Counter(labels_of(held_out)) == {c: 50 for c in range(10)}
    # the last item, through the pipeline, is the source's image at the last chosen index
    item = train[len(train) - 1]
    source = SklearnDigits().get_data_info(int(train.indices[-1]))
    assert np.array_equal(item['inputs'].numpy(), source['img'].transpose(2, 0, 1))
    assert item['data_samples'].gt_label.tolist() == [source['gt_label']]


@pytest.mark.parametrize('kwargs, message', [
    (dict(imbalance_ratio=0.5), 'imbalance_ratio must be >= 1'),
    (dict(profile='linear'), 'profile must be one of'),
    (dict(subset='valid'), 'subset must be one of'),
    (dict(subset='held_out'), 'needs held_out_per_class'),
    (dict(subset='val'), 'needs held_out_per_class'),
    (dict(subset='test', held_out_per_class=20), 'needs val_per_class'),
    (dict(subset='val', held_out_per_class=20, val_per_class=20), 'val_per_class < held_out'),
    (dict(held_out_per_class=0), 'held_out_per_class must be >= 1'),
    (dict(subset='left_out', left_out_per_class=0), 'left_out_per_class must be >= 1'),
    (dict(imbalance_ratio=100), 'leaves class 8 empty'),  # int(50 * 100 ** (-8 / 9)) = 0
    (dict(imbalance_ratio=10, max_per_class=60), "class 'c0' has 50 images, fewer than the 60"),
    (dict(subset='held_out', held_out_per_class=50, imbalance_ratio=2),
     'the smallest class has 50 images; reserving held_out_per_class=50 leaves none'),
    (dict(imbalance_ratio=2, max_per_class=40, held_out_per_class=20),
     "class 'c0' has 50 images, fewer than the 40 .* plus the held_out_per_class=20"),
])
def test_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LongTailedDataset(FakeLabels([50] * 10), **kwargs)


def test_empty_class_error():
    with pytest.raises(ValueError, match=r"no images of class\(es\) \['c1'\]"):
        LongTailedDataset(FakeLabels([50, 0, 50]))


@pytest.fixture(scope='session')
def cifar10_jpg(shared_data, tmp_path_factory):
    """The real CIFAR-10 JPEG list as an annotation file; only the truck images extracted."""
    root = tmp_path_factory.mktemp('cifar10-jpg')
    lines = []
    with tarfile.open(osp.join(shared_data, 'cifar10-jpg', 'train.tar.gz')) as tar:
        for member in tar:
            parts = member.name.split('/')
            if member.isfile() and len(parts) == 3 and parts[0] == 'train':
                lines.append(f'{parts[1]}/{parts[2]} {CIFAR10_CLASSES.index(parts[1])}')
                if parts[1] == 'truck':
                    tar.extract(member, root, filter='data')
    ann_file = root / 'train.txt'
    ann_file.write_text('\n'.join(lines) + '\n')
    return dict(type='CustomDataset', data_prefix=str(root / 'train'), ann_file=str(ann_file),
                classes=CIFAR10_CLASSES)


def test_real_cifar10_jpg(cifar10_jpg):
    source = DATASETS.build(cifar10_jpg)
    assert isinstance(source, CustomDataset) and len(source) == 50000
    dataset = LongTailedDataset(
        dict(cifar10_jpg, pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
    assert len(dataset) == 12406
    assert Counter(labels_of(dataset)) == dict(enumerate(ldam_counts(5000, 10, 0.01)))
    truck = labels_of(dataset).index(9)
    item = dataset[truck]
    assert tuple(item['inputs'].shape) == (3, 32, 32)
    assert item['data_samples'].img_path.startswith(osp.join(cifar10_jpg['data_prefix'],
                                                             'truck'))
    held_out = LongTailedDataset(cifar10_jpg, subset='held_out', held_out_per_class=100)
    train = LongTailedDataset(cifar10_jpg, held_out_per_class=100)
    assert len(held_out) == 1000 and len(train) == 12156
    assert train.metainfo['train_class_counts'] == ldam_counts(4900, 10, 0.01)
    assert train.metainfo['train_class_counts'][-1] == 49  # ratio exactly 100
    paths = {train.get_data_info(i)['img_path'] for i in range(len(train))}
    assert not paths & {held_out.get_data_info(i)['img_path'] for i in range(len(held_out))}
