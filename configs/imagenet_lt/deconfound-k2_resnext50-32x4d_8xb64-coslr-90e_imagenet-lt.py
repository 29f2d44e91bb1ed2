# De-confounded training (paper Eq. 7) of ResNeXt-50 32x4d on ImageNet-LT, K=2 (Tables 2 and 7).
_base_ = [
    '../_base_/models/tde_resnext50-32x4d.py', '../_base_/datasets/imagenet_lt.py',
    '../_base_/schedules/imagenet_lt_bs512_coslr_90e.py', '../_base_/default_runtime.py'
]
