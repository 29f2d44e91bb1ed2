# Trained exactly as the deconfound-k2 row (alpha plays no part in training); predicts by TDE.
_base_ = './deconfound-k2_resnext50-32x4d_8xb64-coslr-90e_imagenet-lt.py'

model = dict(head=dict(alpha=3.0))
