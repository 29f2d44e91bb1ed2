# The capsule classifier (paper Table 4, Eq. 10) in all three stages, K=2, tau=16; predicts with its
# logits (alpha=0). Everything else as the deconfound row.
_base_ = './deconfound_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py'

model = dict(
    roi_head=dict(bbox_head=[
        dict(head, classifier='capsule') for head in _base_.model.roi_head.bbox_head
    ]))
