# cascade-mask-rcnn_r50_fpn_lvis.py with a ResNet-101 FPN backbone (ImageNet-pretrained,
# torchvision), the paper's LVIS backbone (Sec. 5, Tables 4 and 5).
_base_ = './cascade-mask-rcnn_r50_fpn_lvis.py'

model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
