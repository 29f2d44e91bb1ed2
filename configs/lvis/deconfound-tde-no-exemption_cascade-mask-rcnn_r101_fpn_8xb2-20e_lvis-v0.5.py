# Ablation (paper Table 5): TDE (alpha=1.5) without background-exempted inference, i.e. plain
# softmax(TDE) also for the background class. Same checkpoint as the deconfound row.
_base_ = './deconfound_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py'

model = dict(
    roi_head=dict(bbox_head=[
        dict(head, alpha=1.5, background_exempted=False)
        for head in _base_.model.roi_head.bbox_head
    ]))
