# ImageNet-LT (Liu et al. 2019; paper Sec. 5) with mmpretrain's ImageNet pipelines: the standard
# split files in data/imagenet/meta/ list images relative to the ImageNet root (train: 115,846
# images, 1,280 to 5 per class; val: 20 per class, from ImageNet train; test: 50 per class, from
# ImageNet val). Validation uses the val split, test the test split, both scored as many-shot
# (> 100 training images), medium-shot and few-shot (< 20) accuracy.
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs64.py'

data_root = 'data/imagenet'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageNetLT',
        data_root=data_root,
        ann_file='meta/ImageNet_LT_train.txt',
        pipeline=_base_.train_pipeline))

val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageNetLT',
        data_root=data_root,
        ann_file='meta/ImageNet_LT_val.txt',
        pipeline=_base_.test_pipeline))
val_evaluator = dict(_delete_=True, type='LongTailAccuracy')

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageNetLT',
        data_root=data_root,
        ann_file='meta/ImageNet_LT_test.txt',
        pipeline=_base_.test_pipeline))
test_evaluator = val_evaluator
