# Baseline: the plain linear classifier w.x + b, trained on the same data and schedule.
_base_ = './deconfound_resnet32_1xb256-200e_cifar100-lt-r100.py'

model = dict(head=dict(classifier='linear'))
