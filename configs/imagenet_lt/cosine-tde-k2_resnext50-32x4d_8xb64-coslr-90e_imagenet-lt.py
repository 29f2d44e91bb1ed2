# Trained exactly as the cosine-k2 row (alpha plays no part in training); predicts by TDE.
_base_ = './cosine-k2_resnext50-32x4d_8xb64-coslr-90e_imagenet-lt.py'

model = dict(head=dict(alpha=3.0))
