# Tests the checkpoint of the de-confound config of this folder by TDE with the paper's
# CIFAR-10 alpha (alpha plays no part in training).
_base_ = './deconfound_resnet32_1xb128-onecycle-8e_fashion-mnist-lt-r100.py'

model = dict(head=dict(alpha=1.0))
