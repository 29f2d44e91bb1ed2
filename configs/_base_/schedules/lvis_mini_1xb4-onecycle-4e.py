# A schedule made for short CPU runs on LVIS-mini, not the paper's: the LVIS schedule's SGD
# (momentum 0.9, which is also the head direction's mu; weight decay 1e-4) at its lr per image
# (0.02 for 16 images, so 0.005 for a batch of 4), over 4 epochs of one-cycle (mmengine OneCycleLR,
# stepped per iteration: cosine warm-up over the first 10 % of the steps, cosine annealing to ~0
# over the rest). The paper's step schedule scaled down to a short run leaves the classifier
# underfit (as the CIFAR-10-LT CPU benchmark measured, benchmarks/README.md).
_base_ = './lvis_8xb2-20e.py'

epochs = 4
optim_wrapper = dict(optimizer=dict(lr=0.005))
# total_steps counts epochs here and becomes epochs x iterations per epoch (convert_to_iter_based).
param_scheduler = [
    dict(type='OneCycleLR', eta_max=0.005, pct_start=0.1, anneal_strategy='cos',
         total_steps=epochs, by_epoch=True, convert_to_iter_based=True)
]
# Validate once, after the last epoch.
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
auto_scale_lr = dict(base_batch_size=4)
