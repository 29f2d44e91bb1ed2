# Baseline (paper Table 9) with mmdet's ResNeXt-101 64x4d FPN backbone on LVIS v0.5 (1230
# categories): mmdet's Cascade Mask R-CNN with its linear classifier; data and schedule as the
# R101 row.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_x101-64x4d_fpn_lvis.py',
    '../_base_/datasets/lvis_v0.5_instance_tde.py', '../_base_/schedules/lvis_8xb2-20e.py',
    'mmdet::_base_/default_runtime.py'
]

model = dict(
    roi_head=dict(
        bbox_head=[dict(head, num_classes=1230) for head in _base_.model.roi_head.bbox_head],
        mask_head=dict(num_classes=1230)))
