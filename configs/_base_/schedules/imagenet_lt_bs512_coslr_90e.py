# The ImageNet-LT schedule of the paper (Sec. 5): SGD with momentum 0.9, weight decay 5e-4,
# batch 512, lr 0.2 decayed to 0 by a cosine schedule over 90 epochs.
_base_ = 'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py'

optim_wrapper = dict(optimizer=dict(lr=0.2, momentum=0.9, weight_decay=5e-4))

param_scheduler = dict(T_max=90, end=90)

train_cfg = dict(max_epochs=90)

auto_scale_lr = dict(base_batch_size=512)
