# mmpretrain's ResNeXt-50 32x4d with the paper's de-confounded head in place of the linear one:
# K=2 channel groups, tau=16, gamma=1/32 (Sec. 5, Implementation Details). alpha=0 predicts with
# the de-confounded logits; the TDE rows set alpha > 0.
_base_ = 'mmpretrain::_base_/models/resnext50_32x4d.py'

model = dict(
    head=dict(
        type='TDEClsHead',
        classifier='deconfound',
        num_heads=2,
        tau=16.0,
        gamma=1 / 32,
        alpha=0.0))
