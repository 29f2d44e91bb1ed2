_base_ = './capsule-k2_resnext50-32x4d_8xb64-coslr-90e_imagenet-lt.py'

model = dict(head=dict(num_heads=1))
