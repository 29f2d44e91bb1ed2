_base_ = './deconfound-k2_resnext50-32x4d_8xb64-coslr-90e_imagenet-lt.py'

model = dict(head=dict(classifier='capsule'))
