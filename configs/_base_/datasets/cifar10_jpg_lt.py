# CIFAR-10-LT from a folder of CIFAR-10 training images (one folder per class, e.g. the 50,000
# training images as JPEGs: data/cifar10-jpg/train/airplane/0001.jpg; the sorted folder names
# give CIFAR-10's class order), for machines without the official test split. cifar10_lt.py with
# mmpretrain's CustomDataset as the source and both evaluated sets held out of the training
# images: 500 images per class are reserved before the long-tailed draw and split into two
# disjoint balanced sets, val (250 per class, to choose alpha) and test (the other 250, to
# report). The profile is drawn from the 4,500 images per class left: 4,500, 2,697, ..., 45
# (ratio exactly 100, 11,165 images). Every image is decoded once into memory (DecodedImages).
# Another folder: --cfg-options with the data_root of the three sources (tools/demo.py --data).
_base_ = './cifar10_lt.py'

long_tailed = dict(type='LongTailedDataset', imbalance_ratio=100, held_out_per_class=500,
                   val_per_class=250)
# mmcv decodes JPEGs to BGR; the CIFAR mean/std of cifar10_lt.py are RGB.
data_preprocessor = dict(to_rgb=True)

jpg_train = dict(type='CustomDataset', data_root='data/cifar10-jpg/train', data_prefix='',
                 pipeline=[dict(type='LoadImageFromFile'), *_base_.train_pipeline])
jpg_test = dict(jpg_train, pipeline=[dict(type='LoadImageFromFile'), *_base_.test_pipeline])
held_out_loader = dict(batch_size=256, num_workers=2, persistent_workers=True,
                       sampler=dict(type='DefaultSampler', shuffle=False))

train_dataloader = dict(
    persistent_workers=True,
    dataset=dict(_delete_=True, type='DecodedImages', dataset=dict(long_tailed, dataset=jpg_train)))
val_dataloader = dict(
    held_out_loader, _delete_=True,
    dataset=dict(type='DecodedImages', dataset=dict(long_tailed, dataset=jpg_test, subset='val')))
test_dataloader = dict(
    held_out_loader, _delete_=True,
    dataset=dict(type='DecodedImages', dataset=dict(long_tailed, dataset=jpg_test, subset='test')))
val_evaluator = dict(_delete_=True, type='LongTailAccuracy')
test_evaluator = val_evaluator
