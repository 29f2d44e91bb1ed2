# The baseline, the plain linear classifier w.x + b, on the data and schedule of the de-confound
# config of this folder (as configs/cifar_lt/linear_* is to configs/cifar_lt/deconfound_*).
_base_ = './deconfound_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py'

model = dict(head=dict(classifier='linear'))
