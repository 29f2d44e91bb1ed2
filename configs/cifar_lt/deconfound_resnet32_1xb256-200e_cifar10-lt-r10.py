# The de-confound row of CIFAR-10-LT at imbalance ratio 10 (Table 3): the ratio-100 row with
# imbalance_ratio=10 in the training and validation wrappers.
_base_ = './deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py'

train_dataloader = dict(dataset=dict(imbalance_ratio=10))
val_dataloader = dict(dataset=dict(imbalance_ratio=10))
