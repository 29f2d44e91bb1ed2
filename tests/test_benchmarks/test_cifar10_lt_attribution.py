"""benchmarks/cifar10_lt_attribution.py: the steps from the JPEG held-out rows to the paper's
setting sum to the whole gap, and the 4,500 trainings are scored on the official test images
with their own training, val and held-out data untouched."""
import json
import os.path as osp

import pytest
from _checkout import REPO
from _tools import load_script
from mmengine.config import Config

attribution = load_script('benchmarks/cifar10_lt_attribution.py')


def test_steps_change_one_thing_each_and_sum_to_the_gap():
    overall = {('jpg-4500', 'held-out'): dict(linear=65.52, **{'linear-la': 73.40},
                                              deconfound=66.24, **{'deconfound-tde': 75.68}),
               ('jpg-4500', 'official'): dict(linear=65.24, **{'linear-la': 72.61},
                                              deconfound=64.97, **{'deconfound-tde': 75.00}),
               ('lossless-4500', 'held-out'): dict(linear=70.0, **{'linear-la': 78.0},
                                                   deconfound=71.0, **{'deconfound-tde': 80.0}),
               ('lossless-4500', 'official'): dict(linear=69.5, **{'linear-la': 77.0},
                                                   deconfound=70.5, **{'deconfound-tde': 79.5}),
               ('lossless-5000', 'official'): dict(linear=71.0, **{'linear-la': 78.5},
                                                   deconfound=73.26, **{'deconfound-tde': 80.97})}
    result = attribution.attribution(overall)
    assert result['steps']['de-confound'] == {
        'the test split (held-out -> official)': -1.27,   # 64.97 - 66.24
        'lossy images (JPEG -> lossless)': 5.53,          # 70.5 - 64.97
        '10 % fewer training images (4,500 -> 5,000 head)': 2.76}  # 73.26 - 70.5
    for row, steps in result['steps'].items():
        table = result['overall'][row]
        gap = table["lossless, 5,000 ... 50; official test (the paper's)"] - \
            table['JPEG, 4,500 ... 45; held-out test']
        assert sum(steps.values()) == pytest.approx(gap, abs=0.011)
    assert result['overall']['linear + LA (t = 1)']['JPEG, 4,500 ... 45; official test'] == 72.61
    assert list(result['overall']) == ['linear', 'linear + LA (t = 1)', 'de-confound',
                                       'de-confound-TDE (alpha = 1)']


def test_official_test_options_replace_only_the_test_images(tmp_path):
    for split in ('train', 'test'):
        (tmp_path / 'png' / split).mkdir(parents=True)
    options = attribution.official_test_options('/data/jpg/train', str(tmp_path / 'png'))
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'cifar10_jpg_lt',
                                   'deconfound_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py'))
    cfg.merge_from_dict(options)
    for loader, subset in (('train_dataloader', None), ('val_dataloader', 'val')):
        long_tailed = cfg[loader].dataset.dataset  # DecodedImages(LongTailedDataset(...))
        assert (long_tailed.get('subset'), long_tailed.dataset.data_root) == \
            (subset, '/data/jpg/train')
    test = cfg.test_dataloader.dataset
    assert (test.type, test.dataset.type, test.dataset.data_root) == \
        ('DecodedImages', 'CustomDataset', f'{tmp_path}/png/test')
    assert [step['type'] for step in test.dataset.pipeline] == ['LoadImageFromFile',
                                                                'PackInputs']
    assert cfg.data_preprocessor.to_rgb is True


def test_committed_attribution_ties_to_the_results_of_both_settings():
    """benchmarks/results/cifar10_lt_attribution.json: its first and last settings are the rows of
    cifar10_lt_full.json and cifar10_lt_r100_paper.json, and its steps add up to the gap."""
    with open(osp.join(REPO, 'benchmarks', 'results', 'cifar10_lt_attribution.json')) as f:
        result = json.load(f)
    ends = {'JPEG, 4,500 ... 45; held-out test': 'cifar10_lt_full.json',
            "lossless, 5,000 ... 50; official test (the paper's)": 'cifar10_lt_r100_paper.json'}
    for setting, name in ends.items():
        with open(osp.join(REPO, 'benchmarks', 'results', name)) as f:
            rows = json.load(f)['rows']
        assert {title: result['overall'][title][setting] for title in result['overall']} == {
            title: rows[row]['overall'][0] for row, title in attribution.ROWS.items()}
    for row, steps in result['steps'].items():
        first, last = (result['overall'][row][setting] for setting in ends)
        assert sum(steps.values()) == pytest.approx(last - first, abs=0.011)
