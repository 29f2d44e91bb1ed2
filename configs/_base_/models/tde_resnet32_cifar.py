# The ResNet-32 of the long-tailed CIFAR literature with the paper's de-confounded head:
# K=2 channel groups, tau=16, gamma=1/32 (Sec. 5, Implementation Details). alpha=0 predicts with
# the de-confounded logits; the TDE rows set alpha > 0.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarResNet', depth=32),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='TDEClsHead',
        num_classes=10,
        in_channels=64,
        classifier='deconfound',
        num_heads=2,
        tau=16.0,
        gamma=1 / 32,
        alpha=0.0,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
