# The demo's config (tools/demo.py --data DIR), not a benchmark row: the short-budget config of
# this folder (its bases and settings) at about a seventh of its compute, ResNet-8 instead of
# ResNet-32 (the same head, 64 features) and 6 epochs of one-cycle instead of 8, on the same data
# (4,500 ... 45 images): the smallest budget at which TDE stays clearly above the de-confound
# model over seeds (README, Commands, measures it). Images are loaded in the training process (no
# dataloader workers): on 2 cores, workers take the cores from the training threads (ditto).
_base_ = [
    '../_base_/models/tde_resnet8_cifar.py', '../_base_/datasets/cifar10_jpg_lt.py',
    '../_base_/schedules/cifar_lt_bs128_onecycle_8e.py', '../_base_/default_runtime.py'
]

epochs = 6
param_scheduler = [dict(_base_.param_scheduler[0], total_steps=epochs)]
train_cfg = dict(max_epochs=epochs, val_interval=epochs)

train_dataloader = dict(batch_size=128, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=-1))
