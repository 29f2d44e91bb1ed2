import numpy as np
from mmpretrain.registry import DATASETS

from mmcausal.datasets import SklearnDigits


def test_digits_images_and_labels():
    dataset = SklearnDigits()
    assert len(dataset) == 1797
    assert dataset.metainfo['classes'] == ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
    labels = [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    first = dataset.get_data_info(0)
    img = first['img']
    assert first['gt_label'] == 0
    assert img.shape == (8, 8, 3) and img.dtype == np.uint8
    assert (img[..., 0] == img[..., 1]).all() and (img[..., 0] == img[..., 2]).all()
    # scikit-learn's first image, top row: 0 0 5 13 9 1 0 0 (of 16), times 255/16, rounded
    assert img[0, :, 0].tolist() == [0, 0, 80, 207, 143, 16, 0, 0]
    assert max(int(dataset.get_data_info(i)['img'].max()) for i in range(50)) == 255


def test_digits_with_stock_pipeline():
    dataset = DATASETS.build(dict(
        type='SklearnDigits', test_mode=True,
        pipeline=[dict(type='Resize', scale=(16, 16)), dict(type='PackInputs')]))
    item = dataset[5]
    assert tuple(item['inputs'].shape) == (3, 16, 16)
    assert item['data_samples'].gt_label.tolist() == [5]
