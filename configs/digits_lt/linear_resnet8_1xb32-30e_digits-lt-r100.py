# Baseline: the plain linear classifier w.x + b, trained on the same data and schedule.
_base_ = './deconfound_resnet8_1xb32-30e_digits-lt-r100.py'

model = dict(head=dict(classifier='linear'))
