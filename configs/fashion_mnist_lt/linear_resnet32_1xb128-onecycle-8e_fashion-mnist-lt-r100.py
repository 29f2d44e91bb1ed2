# The baseline, the plain linear classifier w.x + b, on the data and schedule of the de-confound
# config of this folder; post-hoc logit adjustment (Menon et al., ICLR 2021) is scored from its
# checkpoint, no retraining.
_base_ = './deconfound_resnet32_1xb128-onecycle-8e_fashion-mnist-lt-r100.py'

model = dict(head=dict(classifier='linear'))
