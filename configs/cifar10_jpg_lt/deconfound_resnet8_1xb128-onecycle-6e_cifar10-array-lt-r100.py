# The demo's config without --data (tools/demo.py): the de-confound demo config of this folder
# on mmpretrain's CIFAR10 arrays under data/cifar10 (downloaded there when missing) instead of a
# folder of image files: the same long-tailed subset and held-out val and test sets of the
# training split, the same pipelines after LoadImageFromFile. The arrays are RGB already.
_base_ = './deconfound_resnet8_1xb128-onecycle-6e_cifar10-jpg-lt-r100.py'

data_preprocessor = dict(to_rgb=False)
cifar10_train = dict(type='CIFAR10', data_root='data/cifar10', split='train')

train_dataloader = dict(dataset=dict(
    _base_.long_tailed, _delete_=True,
    dataset=dict(cifar10_train, pipeline=_base_.train_pipeline)))
val_dataloader = dict(dataset=dict(
    _base_.long_tailed, _delete_=True, subset='val',
    dataset=dict(cifar10_train, pipeline=_base_.test_pipeline)))
test_dataloader = dict(dataset=dict(
    _base_.long_tailed, _delete_=True, subset='test',
    dataset=dict(cifar10_train, pipeline=_base_.test_pipeline)))
