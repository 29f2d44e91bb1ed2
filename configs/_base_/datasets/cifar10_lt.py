# CIFAR-10-LT (Cao et al. 2019; paper Sec. 5): the exponential profile over the training split of
# mmpretrain's CIFAR-10 (class 0 the head), imbalance ratio 100 here; the ratio rows override
# `imbalance_ratio` of both wrappers. Training takes the paper's profile exactly: 5,000, 2,997,
# ..., 50 images (12,406), as LDAM, BBN and the authors draw it. Validation (to choose alpha)
# takes up to 250 of the training images the draw leaves per class (subset='left_out'), never the
# test set: the head class has none left (all its 5,000 train), so val holds the 9 other classes
# and cannot see what a correction costs the head. Test: the official, balanced test split:
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
        imbalance_ratio=100))

val_dataloader = dict(
    batch_size=256,
    dataset=dict(
        _delete_=True,
        type='LongTailedDataset',
        dataset=dict(_base_.train_dataloader.dataset, pipeline=_base_.test_pipeline),
        imbalance_ratio=100,
        subset='left_out',
        left_out_per_class=250))
val_evaluator = dict(_delete_=True, type='LongTailAccuracy')
test_evaluator = dict(_delete_=True, type='LongTailAccuracy')
