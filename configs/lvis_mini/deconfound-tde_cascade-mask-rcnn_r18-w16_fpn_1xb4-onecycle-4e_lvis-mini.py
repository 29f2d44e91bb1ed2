# Trained exactly as the deconfound row (alpha plays no part in training); predicts by TDE
# (Eq. 8, alpha=1.5, the paper's LVIS value) with background-exempted inference (Eq. 9).
_base_ = './deconfound_cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py'

model = dict(
    roi_head=dict(bbox_head=[dict(head, alpha=1.5) for head in _base_.model.roi_head.bbox_head]))
