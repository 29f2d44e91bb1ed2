"""Backbones (mmpretrain MODELS): the CIFAR ResNet of the long-tailed literature."""
from .cifar_resnet import CifarResNet

__all__ = ['CifarResNet']
