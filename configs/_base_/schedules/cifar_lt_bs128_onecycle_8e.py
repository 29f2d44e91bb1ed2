# A schedule made for short CPU runs (the demo and the 8-epoch benchmark), not the paper's: the
# paper's SGD (momentum 0.9, weight decay 5e-4) and lr per image (0.2 for batch 256, so 0.1 for
# batch 128), over 8 epochs of one-cycle (mmengine OneCycleLR, stepped per iteration: cosine
# warm-up to lr 0.1 over the first 10 % of the steps, cosine annealing to ~0 over the rest). The
# paper's 200-epoch step schedule scaled down to a short run leaves the classifier underfit, and
# TDE then has nothing to remove (benchmarks/README.md, "Why one-cycle: the scaled step schedule").
_base_ = 'mmpretrain::_base_/schedules/cifar10_bs128.py'

epochs = 8
optim_wrapper = dict(optimizer=dict(lr=0.1, momentum=0.9, weight_decay=5e-4))
# total_steps counts epochs here and becomes epochs x iterations per epoch (convert_to_iter_based).
param_scheduler = [
    dict(type='OneCycleLR', eta_max=0.1, pct_start=0.1, anneal_strategy='cos',
         total_steps=epochs, by_epoch=True, convert_to_iter_based=True)
]
# Validate once, after the last epoch.
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
auto_scale_lr = dict(base_batch_size=128)
