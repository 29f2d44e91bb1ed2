# De-confounded training (Eq. 7) of ResNet-32 on CIFAR-100-LT, imbalance ratio 100 (Table 3).
_base_ = [
    '../_base_/models/tde_resnet32_cifar.py', '../_base_/datasets/cifar100_lt.py',
    '../_base_/schedules/cifar_lt_bs256_200e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=100))
