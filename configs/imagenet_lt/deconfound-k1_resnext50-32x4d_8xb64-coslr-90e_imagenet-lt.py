# De-confounded training with K=1 channel group (Table 7); otherwise as the deconfound-k2 row.
_base_ = './deconfound-k2_resnext50-32x4d_8xb64-coslr-90e_imagenet-lt.py'

model = dict(head=dict(num_heads=1))
