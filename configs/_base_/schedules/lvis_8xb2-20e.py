# The paper's LVIS schedule, mmdet's 20e: SGD (momentum 0.9, weight decay 1e-4), lr 0.02 for a
# batch of 16 (8 GPUs x 2 images), 20 epochs, lr x 0.1 at epochs 16 and 19, 500 warm-up iters.
# The LVIS val set is large: evaluate once, after the last epoch.
_base_ = 'mmdet::_base_/schedules/schedule_20e.py'

train_cfg = dict(val_interval=20)
