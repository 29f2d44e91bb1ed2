# The capsule classifier (paper Table 4, Eq. 10) in all three stages, K=2, tau=16; predicts with its
# logits (alpha=0). As the deconfound row: the linear row with the TDE head, classifier='capsule'.
_base_ = [
    './linear_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py',
    '../_base_/models/cascade_tde_bbox_head.py'
]

model = dict(
    roi_head=dict(bbox_head=[
        dict(head, **dict(_base_.tde_bbox_head, classifier='capsule'))
        for head in _base_.model.roi_head.bbox_head
    ]))
