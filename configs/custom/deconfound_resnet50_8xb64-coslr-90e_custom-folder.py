# De-confounded training (paper Eq. 7) of ResNet-50 on your own long-tailed image folders, the
# config of docs/own_data.md: data/my_lt/{train,val,test}/<class>/*.jpg, read by mmpretrain's
# CustomDataset (one sub-folder per class, labels in sorted folder-name order, the same folders
# in every split). Set num_classes to the number of class folders. Validation and test report
# LongTailAccuracy: top-1 overall and of the many- (> 100 training images), medium- and few-shot
# (< 20) classes, the training images per class counted in train/ by TrainClassCountsHook
# (../_base_/default_runtime.py, with HeadDirectionHook). Schedule: the paper's ImageNet-LT one
# (SGD lr 0.2 for batch 512, cosine, 90 epochs); on fewer GPUs train with --auto-scale-lr.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py', 'mmpretrain::_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_lt_bs512_coslr_90e.py', '../_base_/default_runtime.py'
]

data_root = 'data/my_lt'
num_classes = 5  # the number of class folders in data/my_lt/train

model = dict(
    head=dict(
        _delete_=True,
        type='TDEClsHead',
        num_classes=num_classes,
        in_channels=2048,  # ResNet-50's feature size; num_heads must divide it
        classifier='deconfound',
        num_heads=2,  # K, the channel groups
        tau=16.0,
        gamma=1 / 32,
        alpha=0.0,  # 0: the de-confounded logits; > 0: TDE, chosen by tools/analysis/sweep_alpha.py
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
data_preprocessor = dict(num_classes=num_classes)

folders = dict(type='CustomDataset', data_root=data_root)
train_dataloader = dict(
    batch_size=64,
    dataset=dict(folders, _delete_=True, data_prefix='train', pipeline=_base_.train_pipeline))
val_dataloader = dict(
    batch_size=64,
    dataset=dict(folders, _delete_=True, data_prefix='val', pipeline=_base_.test_pipeline))
val_evaluator = dict(_delete_=True, type='LongTailAccuracy')
test_dataloader = dict(
    batch_size=64,
    dataset=dict(folders, _delete_=True, data_prefix='test', pipeline=_base_.test_pipeline))
test_evaluator = val_evaluator
