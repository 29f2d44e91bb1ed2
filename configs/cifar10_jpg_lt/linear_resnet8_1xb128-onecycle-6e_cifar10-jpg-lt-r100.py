# The demo's baseline (tools/demo.py --data DIR): the plain linear classifier w.x + b on the data
# and budget of the de-confound demo config of this folder.
_base_ = './deconfound_resnet8_1xb128-onecycle-6e_cifar10-jpg-lt-r100.py'

model = dict(head=dict(classifier='linear'))
