# The paper's classifier for each stage of a Cascade R-CNN: K=2 channel groups, tau=16,
# gamma=1/32 (taken over from ImageNet-LT, paper Sec. 5). alpha=0 predicts with the de-confounded
# logits; the TDE rows set alpha=1.5. A row merges it into the stock stages, keeping each stage's
# box coder:
#   model = dict(roi_head=dict(bbox_head=[
#       dict(head, **_base_.tde_bbox_head) for head in _base_.model.roi_head.bbox_head]))
# It brings HeadDirectionHook (../head_direction.py), which every TDE head needs in training.
_base_ = '../head_direction.py'

tde_bbox_head = dict(
    type='TDEShared2FCBBoxHead',
    classifier='deconfound',
    num_heads=2,
    tau=16.0,
    gamma=1 / 32,
    alpha=0.0,
    background_exempted=True)
