# The ResNet-32 of ./tde_resnet32_cifar.py for grayscale images (Fashion-MNIST): mmpretrain's
# FashionMNIST yields 28x28 uint8 arrays, which PackInputs packs as (1, 28, 28), so the stem takes
# one channel instead of three (no copy of the gray channel into three identical ones; 288 fewer
# stem weights, the rest of the network unchanged). 28x28 inputs give 28, 14 and 7 pixel maps.
_base_ = './tde_resnet32_cifar.py'

model = dict(backbone=dict(in_channels=1))
