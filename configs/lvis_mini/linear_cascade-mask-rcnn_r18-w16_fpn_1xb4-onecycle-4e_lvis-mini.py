# Baseline of the CPU benchmark on LVIS-mini (20 categories, real pixels, not a paper row): the
# LVIS Cascade Mask R-CNN with mmdet's linear classifier (the stock Shared2FCBBoxHead), shrunk to
# a ResNet-18 at width 16 with a 64-channel FPN for 128x128 scenes and trained from scratch on a
# short one-cycle schedule; only the classifier differs from the de-confounded rows.
_base_ = [
    '../_base_/models/cascade-mask-rcnn_r18-w16_fpn_lvis-mini.py',
    '../_base_/datasets/lvis_mini_instance.py', '../_base_/schedules/lvis_mini_1xb4-onecycle-4e.py',
    'mmdet::_base_/default_runtime.py'
]

model = dict(
    roi_head=dict(
        bbox_head=[dict(head, num_classes=20) for head in _base_.model.roi_head.bbox_head],
        mask_head=dict(num_classes=20)))
