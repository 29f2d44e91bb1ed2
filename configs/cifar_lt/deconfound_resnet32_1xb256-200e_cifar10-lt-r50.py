# The de-confound row of CIFAR-10-LT at imbalance ratio 50 (Table 3): the ratio-100 row with
# imbalance_ratio=50 in the training and validation wrappers.
_base_ = './deconfound_resnet32_1xb256-200e_cifar10-lt-r100.py'

train_dataloader = dict(dataset=dict(imbalance_ratio=50))
val_dataloader = dict(dataset=dict(imbalance_ratio=50))
