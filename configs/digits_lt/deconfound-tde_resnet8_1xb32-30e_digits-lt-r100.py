# Trained exactly as the de-confound row (alpha plays no part in training); predicts by TDE.
_base_ = './deconfound_resnet8_1xb32-30e_digits-lt-r100.py'

model = dict(head=dict(alpha=1.0))
