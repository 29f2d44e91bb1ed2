# CIFAR-10-LT (Cao et al. 2019; paper Sec. 5): the exponential profile over the training split of
# mmpretrain's CIFAR-10 (class 0 the head), imbalance ratio 100 here; the ratio rows override
# `imbalance_ratio` of both wrappers. Before the long-tailed draw, `held_out_per_class` images of
# every class are reserved for validation, so validation never sees the test set, and the profile
# is drawn from the 4,900 images per class left (4,900 ... 49, ratio exactly 100, 12,156 images;
# the paper's 5,000 ... 50 has 12,406). Test: the official, balanced test split:
# long_tail/overall is the top-1 accuracy of the paper (Table 3); many/medium/few group the classes
# by the images of the long-tailed training set, which TrainClassCountsHook
# (_base_/default_runtime.py) counts. cifar100_lt.py inherits it with CIFAR-100's values.
_base_ = 'mmpretrain::_base_/datasets/cifar10_bs16.py'

train_dataloader = dict(
    batch_size=256,
    dataset=dict(
        _delete_=True,
        type='LongTailedDataset',
        dataset=_base_.train_dataloader.dataset,
        imbalance_ratio=100,
        held_out_per_class=100))

val_dataloader = dict(
    batch_size=256,
    dataset=dict(
        _delete_=True,
        type='LongTailedDataset',
        dataset=dict(_base_.train_dataloader.dataset, pipeline=_base_.test_pipeline),
        imbalance_ratio=100,
        held_out_per_class=100,
        subset='held_out'))
val_evaluator = dict(_delete_=True, type='LongTailAccuracy')
test_evaluator = dict(_delete_=True, type='LongTailAccuracy')
