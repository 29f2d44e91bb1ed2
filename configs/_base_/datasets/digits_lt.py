# Long-tailed digits, the demo's data: scikit-learn's 1,797 handwritten 8x8 digits (bundled, no
# download; 174 to 183 per class). 50 images of every class are held out as a balanced test set;
# the training set is the exponential profile at imbalance ratio 100 (CIFAR-10-LT's headline
# ratio) over the rest, drawn from the 124 images the smallest class has left: 124, 74, 44, 26,
# 16, 9, 5, 3, 2, 1 images, 304 in all. With the paper's thresholds class 0 is many-shot (> 100),
# 1-3 medium-shot, 4-9 few-shot (< 20). No validation set: the demo selects nothing, it tests the
# last epoch.
data_preprocessor = dict(num_classes=10, mean=[77.85] * 3, std=[95.85] * 3, to_rgb=False)

train_pipeline = [dict(type='RandomCrop', crop_size=8, padding=1), dict(type='PackInputs')]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='LongTailedDataset',
        dataset=dict(type='SklearnDigits', pipeline=train_pipeline),
        imbalance_ratio=100,
        held_out_per_class=50))

test_dataloader = dict(
    batch_size=100,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='LongTailedDataset',
        dataset=dict(type='SklearnDigits', pipeline=test_pipeline),
        imbalance_ratio=100,
        held_out_per_class=50,
        subset='held_out'))
test_evaluator = dict(type='LongTailAccuracy', many_shot_thr=100, few_shot_thr=20)
