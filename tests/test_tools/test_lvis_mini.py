"""tools/dataset_converters/lvis_mini.py: the long-tailed profile and scene plan, and a small set
generated from the real Fashion-MNIST files and CIFAR-10 photographs (``--head 120``, 2 val and 2
test scenes per category), read by mmdet's LVIS dataset as the LVIS-mini configs build it."""
import json
import os.path as osp
import sys

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import pytest
from _checkout import REPO
from _tools import load_script
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmcausal  # noqa: F401  (registers the scope of the configs)

lvis_mini = load_script('tools/dataset_converters/lvis_mini.py')
SPLITS = ('train', 'val', 'test')
CONFIG = osp.join(REPO, 'configs', 'lvis_mini',
                  'deconfound_cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py')


def test_default_profile_spans_the_three_lvis_groups():
    counts = lvis_mini.train_image_counts(1000)
    assert counts == [1000, 695, 483, 336, 234, 162, 113, 78, 55, 38, 26, 18, 13, 9, 6, 4, 3, 2,
                      1, 1]
    # 7 frequent (> 100 training images), 6 common (11-100), 7 rare (1-10)
    assert [lvis_mini.frequency(count) for count in counts] == ['f'] * 7 + ['c'] * 6 + ['r'] * 7
    assert [lvis_mini.frequency(count) for count in (1, 10, 11, 100, 101)] == \
        ['r', 'r', 'c', 'c', 'f']
    # Fashion-MNIST and digits alternate along the profile: both sources in every group
    assert [category.source for category in lvis_mini.CATEGORIES[:2]] == ['fashion-mnist', 'digits']


def test_scenes_hold_each_category_exactly_its_count():
    counts = lvis_mini.train_image_counts(1000)
    scenes = lvis_mini.plan_scenes(counts, np.random.default_rng(0))
    assert len(scenes) == sum(counts) // 2 == 1638
    assert all(1 <= len(scene) <= 4 for scene in scenes)
    assert np.bincount([c for scene in scenes for c in set(scene)]).tolist() == counts
    # at most one category twice (the second instance), and only in a scene of up to 3 others
    for scene in scenes:
        assert len(scene) - len(set(scene)) in (0, 1)
    assert 0 < sum(len(scene) > len(set(scene)) for scene in scenes) < len(scenes) / 2


def test_scenes_refuse_a_category_in_more_than_half_of_them():
    with pytest.raises(ValueError, match=r'every category needs 1 to 3 scenes'):
        lvis_mini.plan_scenes([5, 1], np.random.default_rng(0))


def generate(shared_data: str, backgrounds: str, out: str) -> dict:
    return lvis_mini.generate(osp.join(shared_data, 'fashion-mnist'), backgrounds, out, head=120,
                              val_per_category=2, test_per_category=2, seed=0)


@pytest.fixture(scope='module')
def generated(shared_data, cifar10_jpg_tiny, tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp('lvis_mini'))
    assert generate(shared_data, cifar10_jpg_tiny, out) == dict(train=268, val=20, test=20)
    return out


def load(root: str, split: str) -> dict:
    with open(osp.join(root, 'annotations', f'lvis_mini_{split}.json')) as f:
        return json.load(f)


def test_image_counts_are_the_planned_ones(generated):
    profile = lvis_mini.train_image_counts(120)
    for split, expected in zip(SPLITS, (profile, [2] * 20, [2] * 20)):
        data = load(generated, split)
        categories = data['categories']
        assert [c['id'] for c in categories] == list(range(1, 21))
        assert [c['name'] for c in categories] == [c.name for c in lvis_mini.CATEGORIES]
        pairs = {(a['image_id'], a['category_id']) for a in data['annotations']}
        counted = np.bincount([c for _, c in pairs], minlength=21)[1:].tolist()
        assert [c['image_count'] for c in categories] == counted == expected
        instances = np.bincount([a['category_id'] for a in data['annotations']], minlength=21)
        assert [c['instance_count'] for c in categories] == instances[1:].tolist()
        # frequency by the training profile in every split: head 120 -> 1 f, 9 c, 10 r
        assert [c['frequency'] for c in categories] == ['f'] + ['c'] * 9 + ['r'] * 10


def test_masks_are_visible_pixels_inside_tight_boxes(generated):
    for split in SPLITS:
        data = load(generated, split)
        by_image = {}
        for annotation in data['annotations']:
            by_image.setdefault(annotation['image_id'], []).append(annotation)
        for image in data['images']:
            annotations = by_image[image['id']]
            assert 1 <= len(annotations) <= 4
            present = {a['category_id'] for a in annotations}
            assert image['neg_category_ids'] == [i for i in range(1, 21) if i not in present]
            assert image['not_exhaustive_category_ids'] == []
            pixels = mmcv.imread(osp.join(generated, split, image['file_name']))
            assert pixels.shape == (image['height'], image['width'], 3) == (128, 128, 3)
            covered = np.zeros((128, 128), dtype=int)
            for annotation in annotations:
                mask = mask_utils.decode(annotation['segmentation']).astype(bool)
                x, y, w, h = (int(v) for v in annotation['bbox'])
                inside = np.zeros_like(mask)
                inside[y:y + h, x:x + w] = True
                assert mask.any() and not (mask & ~inside).any()  # inside its box
                assert mask[y].any() and mask[y + h - 1].any()  # and the box is tight
                assert mask[:, x].any() and mask[:, x + w - 1].any()
                assert annotation['area'] == mask.sum()
                covered += mask
                # pasted in gray: the item's value in every channel
                assert (pixels[mask] == pixels[mask][:, :1]).all()
            assert covered.max() == 1  # an occluded pixel belongs to the object on top


def test_train_val_and_test_objects_are_disjoint(generated):
    sources = {split: [a['source'] for a in load(generated, split)['annotations']]
               for split in SPLITS}
    backgrounds = {split: {image['background'] for image in load(generated, split)['images']}
                   for split in SPLITS}
    for first, second in (('train', 'val'), ('train', 'test'), ('val', 'test')):
        assert not set(sources[first]) & set(sources[second])
        assert not backgrounds[first] & backgrounds[second]
    fashion = {split: [s for s in sources[split] if s.startswith('fashion-mnist/')]
               for split in SPLITS}
    assert all(s.startswith('fashion-mnist/train/') for s in fashion['train'] + fashion['val'])
    assert fashion['test'] and all(s.startswith('fashion-mnist/t10k/') for s in fashion['test'])


def test_mmdet_reads_each_split_as_the_configs_build_it(generated):
    from mmdet.registry import DATASETS
    init_default_scope('mmdet')
    cfg = Config.fromfile(CONFIG)
    for split in SPLITS:
        loader = cfg[f'{split}_dataloader']
        dataset = DATASETS.build(dict(loader.dataset, data_root=generated + '/'))
        data = load(generated, split)
        assert len(dataset) == len(data['images'])
        assert dataset.metainfo['classes'] == tuple(c['name'] for c in data['categories'])
        sample = dataset[0]['data_samples']
        first = [a for a in data['annotations'] if a['image_id'] == data['images'][0]['id']]
        if split == 'train':
            instances = sample.gt_instances
            assert sorted(instances.labels.tolist()) == sorted(a['category_id'] - 1 for a in first)
            assert instances.masks.masks.shape == (len(first), 128, 128)
        else:
            assert sample.img_shape == (128, 128)  # tested at the scenes' own size


def test_same_arguments_write_the_same_files(generated, shared_data, cifar10_jpg_tiny, tmp_path):
    generate(shared_data, cifar10_jpg_tiny, str(tmp_path))
    for split in SPLITS:
        assert load(str(tmp_path), split) == load(generated, split)
    assert (mmcv.imread(str(tmp_path / 'test' / '000001.png')) ==
            mmcv.imread(osp.join(generated, 'test', '000001.png'))).all()


def test_command_line_refuses_a_folder_that_is_not_empty(generated, shared_data, cifar10_jpg_tiny,
                                                         monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', [
        'lvis_mini.py', '--fashion-mnist', osp.join(shared_data, 'fashion-mnist'),
        '--backgrounds', cifar10_jpg_tiny, '--out', generated])
    with pytest.raises(SystemExit) as exit_info:
        lvis_mini.main()
    assert exit_info.value.code == 2
    assert f'--out {generated} is not empty' in capsys.readouterr().err
