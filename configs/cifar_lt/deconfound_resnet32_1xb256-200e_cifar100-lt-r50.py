_base_ = './deconfound_resnet32_1xb256-200e_cifar100-lt-r100.py'

train_dataloader = dict(dataset=dict(imbalance_ratio=50))
val_dataloader = dict(dataset=dict(imbalance_ratio=50))
