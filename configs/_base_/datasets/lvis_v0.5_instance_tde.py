# mmdet's LVIS v0.5 instance segmentation data as the paper's LVIS experiments use it: training on
# the natural long-tailed distribution (no repeat-factor ClassBalancedDataset: TDE needs no
# re-balancing, and the authors' mmdet port trained on the plain dataset), single scale
# 1333x800 with flips (the authors' pipeline). 8 GPUs x 2 images = the paper's batch of 16.
_base_ = 'mmdet::_base_/datasets/lvis_v0.5_instance.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        ann_file='annotations/lvis_v0.5_train.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args={{_base_.backend_args}}))
