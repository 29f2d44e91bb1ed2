# Trained exactly as the de-confound row (alpha plays no part in training); predicts by TDE.
_base_ = './deconfound_resnet32_1xb256-200e_cifar10-lt-r50.py'

model = dict(head=dict(alpha=1.0))
