# Baseline with a ResNet-50 FPN backbone on LVIS v1.0 (1203 categories), for smaller budgets:
# mmdet's Cascade Mask R-CNN with its linear classifier, data and schedule as the R101 row.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_r50_fpn_lvis.py',
    '../_base_/datasets/lvis_v1_instance_tde.py', '../_base_/schedules/lvis_8xb2-20e.py',
    'mmdet::_base_/default_runtime.py'
]

model = dict(
    roi_head=dict(
        bbox_head=[dict(head, num_classes=1203) for head in _base_.model.roi_head.bbox_head],
        mask_head=dict(num_classes=1203)))
