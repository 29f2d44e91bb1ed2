# De-confounded training (paper Eq. 7) in all three cascade stages on LVIS-mini; predicts with the
# de-confounded logits (alpha=0). Everything else as the linear row.
_base_ = [
    './linear_cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py',
    '../_base_/models/cascade_tde_bbox_head.py'
]

model = dict(
    roi_head=dict(bbox_head=[
        dict(head, **_base_.tde_bbox_head) for head in _base_.model.roi_head.bbox_head
    ]))
