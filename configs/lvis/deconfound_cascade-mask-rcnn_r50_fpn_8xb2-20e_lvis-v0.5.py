# De-confounded training (paper Eq. 7) in all three cascade stages, ResNet-50 FPN, LVIS v0.5;
# predicts with the de-confounded logits (alpha=0). Everything else as the linear row.
_base_ = [
    './linear_cascade-mask-rcnn_r50_fpn_8xb2-20e_lvis-v0.5.py',
    '../_base_/models/cascade_tde_bbox_head.py'
]

model = dict(
    roi_head=dict(bbox_head=[
        dict(head, **_base_.tde_bbox_head) for head in _base_.model.roi_head.bbox_head
    ]))
