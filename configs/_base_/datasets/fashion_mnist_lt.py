# Fashion-MNIST-LT: CIFAR-10-LT's protocol on mmpretrain's FashionMNIST (Zalando's 28x28
# grayscale clothing images, 10 classes, 6,000 training and 1,000 test images per class), read
# from the extracted idx files under data/fashion-mnist (downloaded there when missing and the
# machine is online). Training: the exponential profile at imbalance ratio 100 with class 0 the
# head, max_per_class=5000, so 5,000 ... 50 images (the counts of CIFAR-10-LT, 12,406 in all;
# 5000 / 50 is exactly 100). Before the long-tailed draw 500 images of every class are held out
# of the training split: the balanced val split (5,000 images) that chooses alpha and t. Test:
# the official balanced test split (10,000 images). Many/medium/few as for CIFAR-10-LT: 8 / 2 / 0
# classes.
data_root = 'data/fashion-mnist'
# Mean and std of the 60,000 training images' pixels; one channel (to_rgb would need three).
data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)

# CIFAR's augmentation at 28x28: pad 4, random crop, horizontal flip (garments are symmetric).
train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

long_tailed = dict(type='LongTailedDataset', imbalance_ratio=100, max_per_class=5000,
                   held_out_per_class=500)
fashion_mnist_train = dict(type='FashionMNIST', data_root=data_root, split='train')
held_out_loader = dict(batch_size=256, num_workers=2, persistent_workers=True,
                       sampler=dict(type='DefaultSampler', shuffle=False))

train_dataloader = dict(
    batch_size=128, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(long_tailed, dataset=dict(fashion_mnist_train, pipeline=train_pipeline)))
val_dataloader = dict(
    held_out_loader,
    dataset=dict(long_tailed, subset='held_out',
                 dataset=dict(fashion_mnist_train, pipeline=test_pipeline)))
# mmpretrain 1.2's FashionMNIST reads the test files by test_mode (split='test' alone would read
# the training files).
test_dataloader = dict(
    held_out_loader,
    dataset=dict(type='FashionMNIST', data_root=data_root, split='test', test_mode=True,
                 pipeline=test_pipeline))
val_evaluator = dict(type='LongTailAccuracy')
test_evaluator = val_evaluator
