# De-confounded training (Eq. 7) of ResNet-32 on CIFAR-10-LT ratio 100 with the paper's schedule
# (as configs/cifar_lt/deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py), drawn from a folder of
# CIFAR-10 training images with val and test held out of them (benchmarks/cifar10_lt_full.sh).
_base_ = [
    '../_base_/models/tde_resnet32_cifar.py', '../_base_/datasets/cifar10_jpg_lt.py',
    '../_base_/schedules/cifar_lt_bs256_200e.py', '../_base_/default_runtime.py'
]
