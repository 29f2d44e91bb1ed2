# CIFAR-100-LT (Cao et al. 2019; paper Sec. 5): cifar10_lt.py over mmpretrain's CIFAR-100 instead
# of CIFAR-10 (the values of mmpretrain's cifar100_bs16.py: dataset, data_root, 100 classes,
# mean/std). 20 images of every class are held out for validation before the long-tailed draw, and
# the profile is drawn from the 480 left: 480 ... 4 at ratio 100 (int(4.8): the last classes keep
# 4 images instead of the paper's 5), 10,410 images against the paper's 10,847. Test: the
# official, balanced CIFAR-100 test split.
_base_ = './cifar10_lt.py'

dataset_type = 'CIFAR100'
data_preprocessor = dict(
    num_classes=100, mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418])

train_dataloader = dict(
    dataset=dict(
        held_out_per_class=20, dataset=dict(type=dataset_type, data_root='data/cifar100')))
val_dataloader = dict(
    dataset=dict(
        held_out_per_class=20, dataset=dict(type=dataset_type, data_root='data/cifar100')))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root='data/cifar100/'))
