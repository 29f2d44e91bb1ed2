# The demo's model for 8x8 digits: a CIFAR ResNet-8 (one basic block per stage, 64 features) with
# the paper's de-confounded head: K=2 channel groups, tau=16, gamma=1/32, 10 classes. alpha=0
# predicts with the de-confounded logits; the TDE row sets alpha > 0.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarResNet', depth=8),
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
