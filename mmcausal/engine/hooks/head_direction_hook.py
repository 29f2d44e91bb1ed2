"""Fold each optimizer step's training features into the head directions of the model."""
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.hooks.hook import DATA_BATCH
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import HOOKS

from mmcausal.causal import HeadDirection


@HOOKS.register_module()
class HeadDirectionHook(Hook):
    """Update every :class:`~mmcausal.causal.HeadDirection` of the model after each optimizer step.

    Heads such as ``TDEClsHead`` record the detached features of each training forward. After
    every iteration in which the optimizer stepped, this hook folds them into each direction::

        d <- mu * d + mean(features recorded since the previous step)

    with the mean taken over all ranks, so the ``accumulative_counts`` micro-batches of one step
    form one batch. mu is ``momentum`` if given, else the optimizer's own momentum (paper
    Sec. 3): ``momentum`` (SGD) or ``betas[0]`` (Adam, AdamW) of its first parameter group, read
    at every step so that momentum schedulers apply. The log states mu whenever it changes.
    The model is trained by one ``OptimWrapper`` or ``AmpOptimWrapper``, not an
    ``OptimWrapperDict``.

    The priority is above ``NORMAL``: d is updated before EMAHook copies buffers,
    ParamSchedulerHook changes the momentum, and CheckpointHook saves.

    Args:
        momentum (float, optional): mu, in [0, 1). Defaults to None: the optimizer's momentum.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, momentum: Optional[float] = None) -> None:
        if momentum is not None and not 0 <= momentum < 1:
            raise ValueError(f'HeadDirectionHook: momentum={momentum} must be in [0, 1), or None '
                             "to use the optimizer's momentum")
        self.momentum = momentum
        self._directions: List[HeadDirection] = []
        self._logged_momentum: Optional[float] = None

    def before_train(self, runner) -> None:
        """Find the head directions of the model and check the optimizer wrapper and mu."""
        if isinstance(runner.optim_wrapper, OptimWrapperDict):
            raise ValueError('HeadDirectionHook: cannot tell when the optimizers of an '
                             'OptimWrapperDict step; train with a single optim_wrapper')
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self._directions = [m for m in model.modules() if isinstance(m, HeadDirection)]
        if not self._directions:
            raise ValueError('HeadDirectionHook: no module of the model has a head direction; use '
                             "a head that keeps one (e.g. dict(type='TDEClsHead')) or remove "
                             'HeadDirectionHook from custom_hooks')
        self._current_momentum(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Fold the recorded features into every direction if the optimizer stepped."""
        if not runner.optim_wrapper.should_update():
            return
        momentum = self._current_momentum(runner)
        for direction in self._directions:
            direction.update(momentum)

    def _current_momentum(self, runner) -> float:
        """mu for this step; logged when it differs from the last one logged."""
        if self.momentum is not None:
            momentum, source = self.momentum, 'HeadDirectionHook(momentum=...)'
        else:
            momentum, source = _optimizer_momentum(runner.optim_wrapper), 'the optimizer'
        if momentum != self._logged_momentum:
            runner.logger.info(f'HeadDirectionHook: updating head directions with momentum '
                               f'{momentum} (from {source})')
            self._logged_momentum = momentum
        return momentum


def _optimizer_momentum(optim_wrapper: OptimWrapper) -> float:
    """SGD ``momentum`` or Adam ``betas[0]`` of the optimizer's first parameter group."""
    optimizer = optim_wrapper.optimizer
    group = optimizer.param_groups[0]
    if 'momentum' in group:
        momentum = group['momentum']
    elif 'betas' in group:
        momentum = group['betas'][0]
    else:
        raise ValueError(f'HeadDirectionHook: {type(optimizer).__name__} has neither a momentum '
                         "nor betas; pass it, e.g. dict(type='HeadDirectionHook', momentum=0.9)")
    if not 0 <= momentum < 1:
        raise ValueError(f'HeadDirectionHook: the optimizer momentum {momentum} is not in [0, 1); '
                         "pass one, e.g. dict(type='HeadDirectionHook', momentum=0.9)")
    return momentum
