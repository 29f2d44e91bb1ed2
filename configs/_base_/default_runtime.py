# mmpretrain's runtime, plus what every mmcausal config needs: the import that registers
# mmcausal's modules (so stock OpenMMLab tools work too), the hook that keeps the head
# direction of TDEClsHead up to date, and a fixed seed.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmcausal'], allow_failed_imports=False)

# momentum=None: the head direction's decay is the optimizer's momentum (SGD 0.9), as in the paper.
custom_hooks = [dict(type='HeadDirectionHook', momentum=None)]

randomness = dict(seed=0, deterministic=False)
