# Ablation (paper Table 5) on LVIS-mini: TDE (alpha=1.5) without background-exempted inference,
# i.e. plain softmax(TDE) also for the background class. Same checkpoint as the deconfound row.
_base_ = './deconfound_cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py'

model = dict(
    roi_head=dict(bbox_head=[
        dict(head, alpha=1.5, background_exempted=False)
        for head in _base_.model.roi_head.bbox_head
    ]))
