"""The datasets inside a wrapper, of a config and of built wrappers."""
from mmengine.dataset import ClassBalancedDataset, RepeatDataset
from mmpretrain.datasets import CustomDataset

from mmcausal.datasets import class_counts, wrapped_datasets


def test_config_chain_outermost_first():
    source = dict(type='CustomDataset', data_root='data')
    long_tailed = dict(type='LongTailedDataset', imbalance_ratio=10, dataset=source)
    config = dict(type='DecodedImages', dataset=long_tailed)
    assert wrapped_datasets(config) == [config, long_tailed, source]
    assert wrapped_datasets(source) == [source]


def test_built_chain_and_the_counts_of_a_resampled_dataset(tmp_path):
    for name, images in (('a', 3), ('b', 1)):
        (tmp_path / name).mkdir()
        for i in range(images):
            (tmp_path / name / f'{i}.png').write_bytes(b'')
    source = CustomDataset(data_root=str(tmp_path), data_prefix='', lazy_init=False)
    balanced = ClassBalancedDataset(source, oversample_thr=1.0)
    repeated = RepeatDataset(source, times=3)
    assert wrapped_datasets(balanced) == [balanced, source]
    assert wrapped_datasets(repeated) == [repeated, source]
    # every image ceil(sqrt(1 / f)) times: a (f = 3/4) ceil(1.15) = 2, b (f = 1/4) 2
    assert (len(balanced), len(repeated)) == (2 * 4, 3 * 4)
    # re-sampling adds no images: the counts are the source's
    assert class_counts(balanced) == class_counts(repeated) == [3, 1]
