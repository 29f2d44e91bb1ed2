# The linear row with mmdet's ResNeXt-101 64x4d FPN backbone (paper Table 9).
_base_ = './linear_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py'

model = dict(
    backbone=dict(
        type='ResNeXt',
        groups=64,
        base_width=4,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))
