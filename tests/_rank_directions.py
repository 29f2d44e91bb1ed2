"""A hook with which a multi-process tool run shows what every rank holds, not only rank 0.

A test config loads it with ``custom_imports=dict(imports=['_rank_directions'])`` and ``tests/``
on PYTHONPATH (``_checkout.checkout_env(TESTS)``), and adds
``dict(type='SaveRankDirections', out_dir=...)`` to ``custom_hooks``.
"""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class SaveRankDirections(Hook):
    """After training, each rank saves its head-direction buffers (name -> d) to
    ``{out_dir}/rank{rank}.pt``.

    Args:
        out_dir (str): An existing folder.
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        directions = {name: buffer.clone() for name, buffer in model.named_buffers()
                      if name.endswith('direction.direction')}
        torch.save(directions, osp.join(self.out_dir, f'rank{get_rank()}.pt'))
