# HeadDirectionHook, in one place for both tasks: classification configs get it through
# default_runtime.py, LVIS rows with a TDE head through models/cascade_tde_bbox_head.py (the LVIS
# baseline is mmdet's stock model and has no head direction). After every optimizer step each TDE
# head's direction becomes d <- mu * d + the mean feature of the global training batch (detection:
# of the step's foreground RoIs, every cascade stage its own). momentum=None: mu is the optimizer's
# momentum (SGD 0.9, Adam beta1), as in the paper (Sec. 3). The authors' released mmdet port used
# mu = 0.9998; to follow it: custom_hooks = [dict(type='HeadDirectionHook', momentum=0.9998)].
custom_hooks = [dict(type='HeadDirectionHook', momentum=None)]
