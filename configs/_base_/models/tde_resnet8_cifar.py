# tde_resnet32_cifar.py with a CIFAR ResNet-8 (one basic block per stage, the same 64 features and
# head): about a seventh of ResNet-32's compute, for the demo.
_base_ = './tde_resnet32_cifar.py'

model = dict(backbone=dict(depth=8))
