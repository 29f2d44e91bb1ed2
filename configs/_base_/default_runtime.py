# mmpretrain's runtime, plus what every mmcausal classification config needs: the import that
# registers mmcausal's modules (so stock OpenMMLab tools work too), HeadDirectionHook
# (./head_direction.py: keeps the head direction of TDEClsHead up to date), the hook that gives
# LongTailAccuracy the training images per class, and a fixed seed.
_base_ = ['mmpretrain::_base_/default_runtime.py', './head_direction.py']

custom_imports = dict(imports=['mmcausal'], allow_failed_imports=False)

# Before validation and test, every LongTailAccuracy without train_class_counts (given, or in the
# evaluated dataset's metainfo) gets those of train_dataloader's dataset, counted from its labels:
# many/medium/few then work for any dataset (CustomDataset folders, CIFAR, ImageNet, ...). In
# default_hooks, a dict merged key by key, so a config that sets its own custom_hooks keeps it;
# `default_hooks = dict(train_class_counts=None)` removes it.
default_hooks = dict(train_class_counts=dict(type='TrainClassCountsHook'))

randomness = dict(seed=0, deterministic=False)
