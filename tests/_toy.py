"""A tiny mmpretrain classifier with TDEClsHead and in-memory images, for real Runner tests.

Imported by the test files as ``from _toy import ...`` (pytest puts ``tests/`` on the path).
"""
import uuid
from pathlib import Path
from typing import List, Optional

import torch
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from torch import Tensor, nn
from torch.utils.data import Dataset

import mmcausal  # noqa: F401  (registers TDEClsHead and HeadDirectionHook)

NUM_CLASSES = 3
CHANNELS = 8  # the feature size the head sees
IMAGE_SIZE = 8


def model_cfg(**head) -> dict:
    """ImageClassifier: ResNet-18's stem and first stage at 8 channels + GAP + TDEClsHead(**head).

    The stage ends in a ReLU, so the features' batch means are far from zero (a backbone ending
    in BatchNorm would give means of about zero and make every closed form of d trivially hold).
    """
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, stem_channels=CHANNELS, base_channels=CHANNELS,
                      num_stages=1, strides=(1, ), dilations=(1, ), out_indices=(0, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='TDEClsHead', num_classes=NUM_CLASSES, in_channels=CHANNELS, **head))


class ToyImages(Dataset):
    """``length`` fixed random 3x8x8 images in [0, 255], labels cycling over the classes."""

    metainfo = dict(classes=tuple(f'class{i}' for i in range(NUM_CLASSES)))

    def __init__(self, length: int = 12) -> None:
        generator = torch.Generator().manual_seed(0)
        self.images = 255 * torch.rand(length, 3, IMAGE_SIZE, IMAGE_SIZE, generator=generator)
        self.labels = torch.arange(length) % NUM_CLASSES

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.images[index],
                    data_samples=DataSample().set_gt_label(int(self.labels[index])))


def dataloader(dataset: Dataset, batch_size: int = 4, **sampler) -> dict:
    """An unshuffled dataloader config over a dataset object."""
    return dict(dataset=dataset, batch_size=batch_size, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False, **sampler))


def build_runner(work_dir: Path,
                 head: Optional[dict] = None,
                 optimizer: Optional[dict] = None,
                 max_iters: int = 3,
                 hook: Optional[dict] = None,
                 **kwargs) -> Runner:
    """An iteration-based Runner on CPU that saves a checkpoint after its last iteration.

    Defaults: TDEClsHead with its defaults, SGD(lr=0.1, momentum=0.9), 3 iterations over
    ``ToyImages(12)`` in unshuffled batches of 4, ``custom_hooks=[hook]`` with ``hook``
    ``HeadDirectionHook()`` by default, seed 0. ``kwargs`` go to Runner (e.g. ``model``,
    ``optim_wrapper``, ``train_dataloader``, ``train_cfg``, ``custom_hooks``, ``cfg``).
    """
    kwargs.setdefault('train_dataloader', dataloader(ToyImages()))
    kwargs.setdefault('model', model_cfg(**(head or {})))
    kwargs.setdefault('optim_wrapper',
                      dict(optimizer=optimizer or dict(type='SGD', lr=0.1, momentum=0.9)))
    kwargs.setdefault('train_cfg', dict(by_epoch=False, max_iters=max_iters))
    kwargs.setdefault('randomness', dict(seed=0))
    kwargs.setdefault('custom_hooks', [hook or dict(type='HeadDirectionHook')])
    return Runner(
        work_dir=str(work_dir),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters)),
        default_scope='mmpretrain',
        experiment_name=uuid.uuid4().hex,
        **kwargs)


def record_head_inputs(model: nn.Module) -> List[Tensor]:
    """Copies of the head's input features (N, C) of every training forward, in order."""
    model = getattr(model, 'module', model)
    features: List[Tensor] = []

    def hook(head: nn.Module, args: tuple) -> None:
        if head.training:
            features.append(args[0][-1].detach().clone())

    model.head.register_forward_pre_hook(hook)
    return features


def direction_of(model: nn.Module) -> Tensor:
    """The head direction buffer d of a toy model (possibly wrapped)."""
    return getattr(model, 'module', model).head.classifier.direction.vector
