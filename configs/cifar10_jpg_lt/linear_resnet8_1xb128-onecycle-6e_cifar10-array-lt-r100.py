# The demo's baseline without --data (tools/demo.py): the plain linear classifier w.x + b on the
# data and budget of the de-confound demo config of this folder on mmpretrain's CIFAR10 arrays.
_base_ = './deconfound_resnet8_1xb128-onecycle-6e_cifar10-array-lt-r100.py'

model = dict(head=dict(classifier='linear'))
