# The deconfound-tde row with a ResNet-50 FPN backbone, for smaller budgets.
_base_ = './deconfound-tde_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py'

model = dict(
    backbone=dict(depth=50, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')))
