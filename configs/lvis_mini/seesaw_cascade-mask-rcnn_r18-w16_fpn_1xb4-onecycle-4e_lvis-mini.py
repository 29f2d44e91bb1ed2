# The peer mmdet ships for LVIS: Seesaw Loss (Wang et al., CVPR 2021; mmdet's
# configs/seesaw_loss/cascade-mask-rcnn_r101_fpn_seesaw-loss_random-ms-2x_lvis-v1.py) in all three
# stages: its normalized linear classifier (temperature 20) and loss (p=0.8, q=2.0) on the plain
# long-tailed training set, as the other rows. Everything else as the linear row.
_base_ = './linear_cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py'

model = dict(
    roi_head=dict(bbox_head=[
        dict(head,
             cls_predictor_cfg=dict(type='NormedLinear', tempearture=20),
             loss_cls=dict(type='SeesawLoss', p=0.8, q=2.0, num_classes=head['num_classes'],
                           loss_weight=1.0))
        for head in _base_.model.roi_head.bbox_head
    ]))
