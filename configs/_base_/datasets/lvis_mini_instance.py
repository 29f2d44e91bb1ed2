# LVIS-mini (tools/dataset_converters/lvis_mini.py writes it into data/lvis_mini/): 20 categories of
# real objects on real photographs, 128x128 scenes, LVIS v0.5 annotations read by mmdet's
# LVISV05Dataset and scored by LVISMetric. As lvis_v0.5_instance_tde.py (the natural long-tailed
# training set, flips), at the scenes' own size and 4 images per batch; val and test are the
# generator's balanced splits of held-out objects.
_base_ = './lvis_v0.5_instance_tde.py'

data_root = 'data/lvis_mini/'
image_size = (128, 128)
# In the generator's order: training scenes per category from 1000 down to 1.
metainfo = dict(classes=('t-shirt_top', 'digit_0', 'trouser', 'digit_1', 'pullover', 'digit_2',
                         'dress', 'digit_3', 'coat', 'digit_4', 'sandal', 'digit_5', 'shirt',
                         'digit_6', 'sneaker', 'digit_7', 'bag', 'digit_8', 'ankle_boot',
                         'digit_9'))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/lvis_mini_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/lvis_mini_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/lvis_mini_test.json',
        data_prefix=dict(img='test/'),
        pipeline=test_pipeline))

val_evaluator = dict(ann_file=data_root + 'annotations/lvis_mini_val.json')
test_evaluator = dict(ann_file=data_root + 'annotations/lvis_mini_test.json')
