# CIFAR-100-LT (Cao et al. 2019; paper Sec. 5): cifar10_lt.py over mmpretrain's CIFAR-100 instead
# of CIFAR-10 (the values of mmpretrain's cifar100_bs16.py: dataset, data_root, 100 classes,
# mean/std). Training takes the paper's profile exactly: 500, ..., 5 at ratio 100 (10,847 images).
# Validation takes up to 25 of the training images the draw leaves per class: none of the head
# class, and fewer for the classes next to it (at ratio 100 class 1 has 23 left; at ratio 10, 12).
# Test: the official, balanced CIFAR-100 test split.
_base_ = './cifar10_lt.py'

dataset_type = 'CIFAR100'
data_preprocessor = dict(
    num_classes=100, mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418])

train_dataloader = dict(dataset=dict(dataset=dict(type=dataset_type, data_root='data/cifar100')))
val_dataloader = dict(
    dataset=dict(
        left_out_per_class=25, dataset=dict(type=dataset_type, data_root='data/cifar100')))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root='data/cifar100/'))
