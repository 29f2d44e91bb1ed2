# Baseline (paper Table 4): mmdet's Cascade Mask R-CNN R101-FPN with its linear classifier (the
# stock Shared2FCBBoxHead) on LVIS v0.5 (1230 categories), with the data and schedule of the
# de-confounded rows, so that only the classifier differs.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_r101_fpn_lvis.py',
    '../_base_/datasets/lvis_v0.5_instance_tde.py', '../_base_/schedules/lvis_8xb2-20e.py',
    'mmdet::_base_/default_runtime.py'
]

model = dict(
    roi_head=dict(
        bbox_head=[dict(head, num_classes=1230) for head in _base_.model.roi_head.bbox_head],
        mask_head=dict(num_classes=1230)))
