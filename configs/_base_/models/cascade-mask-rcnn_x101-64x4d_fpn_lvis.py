# cascade-mask-rcnn_r50_fpn_lvis.py with mmdet's ResNeXt-101 64x4d FPN backbone
# (ImageNet-pretrained, open-mmlab), paper Table 9.
_base_ = './cascade-mask-rcnn_r50_fpn_lvis.py'

model = dict(
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=64,
        base_width=4,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))
