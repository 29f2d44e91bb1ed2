"""Give LongTailAccuracy the images per class of the config's training set."""
from typing import List, Optional

from mmengine.evaluator import Evaluator
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import BaseLoop

from mmcausal.datasets.counts import train_set_counts
from mmcausal.evaluation import LongTailAccuracy


@HOOKS.register_module()
class TrainClassCountsHook(Hook):
    """Set the training counts of every :class:`LongTailAccuracy` that has none.

    Before each validation and test, each ``LongTailAccuracy`` of the evaluator whose counts
    are neither given (``train_class_counts=[...]``) nor in the evaluated dataset's metainfo
    (``LongTailedDataset``, ``ImageNetLT``) gets the images per class of the training set:
    the dataset of the Runner's training loop when it is built (training), else the one of
    ``train_dataloader``, built from its config for its labels only (no image is read). The
    counts are computed once and kept. Every rank counts for itself (dataset builders such as
    ``CIFAR10`` synchronize the ranks), so distributed testing works as the single process.

    A config without ``train_dataloader`` gets an error naming both fixes: a training set, or
    ``train_class_counts=[...]`` in the metric. So does a training set whose class names differ
    from the evaluated set's (e.g. a ``CustomDataset`` split missing a class folder).
    """

    def __init__(self) -> None:
        self._counts: Optional[List[int]] = None
        self._classes: Optional[tuple] = None

    def before_val(self, runner) -> None:
        """Fill the counts of the validation evaluator's metrics."""
        self._fill(runner, runner.val_evaluator)

    def before_test(self, runner) -> None:
        """Fill the counts of the test evaluator's metrics."""
        self._fill(runner, runner.test_evaluator)

    def _fill(self, runner, evaluator: Evaluator) -> None:
        metrics = [metric for metric in evaluator.metrics
                   if isinstance(metric, LongTailAccuracy) and not metric.has_class_counts]
        if not metrics:
            return
        if self._counts is None:
            # Private attributes, as the public API cannot serve here: runner.train_dataloader is
            # runner.train_loop.dataloader, and train_loop builds the loop from train_cfg when it
            # is not built yet, so in a test run it would build a training loop (its DataLoader,
            # sampler and workers) only to count labels, and fail for a config without
            # train_cfg. So: the built loop's dataloader when training, else the dataloader's
            # config (its dataset built for the labels only).
            train_loop = runner._train_loop
            loader = (train_loop.dataloader if isinstance(train_loop, BaseLoop)
                      else runner._train_dataloader)
            self._counts, self._classes = train_set_counts(loader)
            runner.logger.info(f'TrainClassCountsHook: {sum(self._counts)} training images of '
                               f'{len(self._counts)} classes, {max(self._counts, default=0)} to '
                               f'{min(self._counts, default=0)} per class, for LongTailAccuracy')
        for metric in metrics:
            metric.set_train_class_counts(self._counts, self._classes)
