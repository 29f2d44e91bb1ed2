# mmdet's Cascade Mask R-CNN with its ResNet-50 FPN backbone (ImageNet-pretrained, torchvision),
# with LVIS test settings: up to 300 detections per image (LVIS's limit; the paper keeps the top
# 300) above score 1e-4 (mmdet's LVIS configs). The other LVIS backbones inherit it and change
# only the backbone. num_classes is set per dataset by the rows.
_base_ = 'mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py'

model = dict(test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))

# Registers mmcausal's modules for stock OpenMMLab tools too, and applies mmcausal.compat
# (lvis 0.5.3's LVISEval on NumPy 2, weights-only checkpoint loading).
custom_imports = dict(imports=['mmcausal'], allow_failed_imports=False)
