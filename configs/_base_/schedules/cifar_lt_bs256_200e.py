# The long-tailed CIFAR schedule of the paper (Sec. 5: "warm-up scheduler like BBN"), as in the
# authors' code: SGD lr 0.2 for batch 256, momentum 0.9, weight decay 5e-4, 200 epochs; linear
# warm-up from lr / 3 over epochs 0-4 (lr reached at epoch 5), then lr x 0.01 at epoch 120 and
# again at epoch 160 (0.2 -> 0.002 -> 0.00002).
_base_ = 'mmpretrain::_base_/schedules/cifar10_bs128.py'

optim_wrapper = dict(optimizer=dict(lr=0.2, momentum=0.9, weight_decay=5e-4))

param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=True, begin=0, end=6),
    dict(type='MultiStepLR', milestones=[120, 160], gamma=0.01, by_epoch=True),
]

auto_scale_lr = dict(base_batch_size=256)
