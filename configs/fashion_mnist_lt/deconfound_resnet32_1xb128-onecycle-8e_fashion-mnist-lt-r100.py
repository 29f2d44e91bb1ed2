# CPU benchmark config beside configs/cifar10_jpg_lt/, not a paper row: de-confounded training
# (Eq. 7) of the paper's ResNet-32 and head (K=2, tau=16, gamma=1/32) on Fashion-MNIST-LT, ratio
# 100, with the short one-cycle schedule of the CIFAR-10-LT CPU benchmark. A root row: its
# backbone takes one-channel images (_base_/models/tde_resnet32_fashion_mnist.py).
_base_ = [
    '../_base_/models/tde_resnet32_fashion_mnist.py', '../_base_/datasets/fashion_mnist_lt.py',
    '../_base_/schedules/cifar_lt_bs128_onecycle_8e.py', '../_base_/default_runtime.py'
]

# Log every 10 iterations; save only the last epoch's checkpoint.
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=-1))
