# The demo's de-confounded model (tools/demo.py): a CIFAR ResNet-8 with the paper's head
# (K=2, tau=16, gamma=1/32) on long-tailed digits, trained in seconds on a CPU.
_base_ = [
    '../_base_/models/tde_resnet8_digits.py', '../_base_/datasets/digits_lt.py',
    '../_base_/default_runtime.py'
]

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=30)
train_cfg = dict(by_epoch=True, max_epochs=30)
test_cfg = dict()

# Log every 5 iterations; save only the last epoch's checkpoint.
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=-1))
