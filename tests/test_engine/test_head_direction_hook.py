"""HeadDirectionHook in real mmengine Runners: d against closed forms of the recorded batches."""
import os
from pathlib import Path
from unittest import mock

import pytest
import torch
from _dist import gloo_rank, run_two_ranks
from _toy import ToyImages, build_runner, dataloader, direction_of, model_cfg, record_head_inputs
from mmengine.optim import OptimWrapper
from mmengine.registry import HOOKS
from mmengine.runner import CheckpointLoader
from mmpretrain.registry import MODELS

SGD = dict(type='SGD', lr=0.1, momentum=0.9)


def batch_mean(*batches: torch.Tensor) -> torch.Tensor:
    """Mean over the rows of all batches (N_i, C), in float64."""
    return torch.cat(batches).double().mean(dim=0)


def assert_direction(model, expected: torch.Tensor) -> None:
    torch.testing.assert_close(direction_of(model).double(), expected, rtol=0, atol=1e-6)


def momentum_log_lines(runner) -> list:
    log_file = Path(runner.log_dir) / f'{runner.timestamp}.log'
    return [line.split(' - ')[-1] for line in log_file.read_text().splitlines()
            if 'HeadDirectionHook: updating head directions' in line]


@pytest.mark.parametrize('optimizer, hook, mu, source', [
    (SGD, dict(type='HeadDirectionHook'), 0.9, 'the optimizer'),
    (dict(type='AdamW', lr=0.01, betas=(0.8, 0.999)), dict(type='HeadDirectionHook'), 0.8,
     'the optimizer'),
    (SGD, dict(type='HeadDirectionHook', momentum=0.5), 0.5, 'HeadDirectionHook(momentum=...)'),
])
def test_three_steps_give_the_closed_form(tmp_path, optimizer, hook, mu, source):
    runner = build_runner(tmp_path, optimizer=optimizer, hook=hook)
    features = record_head_inputs(runner.model)
    runner.train()

    assert len(features) == 3
    m1, m2, m3 = (batch_mean(f) for f in features)
    assert_direction(runner.model, mu**2 * m1 + mu * m2 + m3)
    assert momentum_log_lines(runner) == [
        f'HeadDirectionHook: updating head directions with momentum {mu} (from {source})']


def test_momentum_scheduler_sets_mu_of_each_step(tmp_path):
    """StepMomentum halves SGD's momentum after each step: mu = 0.9, 0.45, 0.225.

    The hook must read mu before ParamSchedulerHook changes it, i.e. the mu SGD stepped with.
    """
    runner = build_runner(
        tmp_path,
        param_scheduler=dict(type='StepMomentum', step_size=1, gamma=0.5, by_epoch=False))
    features = record_head_inputs(runner.model)
    runner.train()

    m1, m2, m3 = (batch_mean(f) for f in features)
    assert_direction(runner.model, 0.225 * (0.45 * m1 + m2) + m3)
    assert [line.split('momentum ')[1].split(' ')[0] for line in momentum_log_lines(runner)] == [
        '0.9', '0.45', '0.225']


def test_accumulated_micro_batches_form_one_batch(tmp_path):
    """6 images in batches of 4 and 2, two micro-batches per step: rows weigh, not batches."""
    runner = build_runner(tmp_path, max_iters=4,
                          optim_wrapper=dict(optimizer=SGD, accumulative_counts=2),
                          train_dataloader=dataloader(ToyImages(6), batch_size=4))
    features = record_head_inputs(runner.model)
    runner.train()

    assert [len(f) for f in features] == [4, 2, 4, 2]
    assert_direction(runner.model, 0.9 * batch_mean(*features[:2]) + batch_mean(*features[2:]))


def test_mu_is_read_through_an_amp_optim_wrapper_with_bfloat16_features(tmp_path):
    """AmpOptimWrapper refuses CPUs; allowing it runs bfloat16 autocast on the CPU."""
    with mock.patch('mmengine.optim.optimizer.amp_optimizer_wrapper.is_cuda_available',
                    return_value=True):
        runner = build_runner(
            tmp_path, optim_wrapper=dict(type='AmpOptimWrapper', dtype='bfloat16',
                                         optimizer=dict(SGD, momentum=0.7)))
        features = record_head_inputs(runner.model)
        runner.train()

    assert type(runner.optim_wrapper).__name__ == 'AmpOptimWrapper'
    assert {f.dtype for f in features} == {torch.bfloat16}
    m1, m2, m3 = (batch_mean(f) for f in features)
    assert_direction(runner.model, 0.49 * m1 + 0.7 * m2 + m3)


def test_resume_continues_the_saved_direction(tmp_path):
    build_runner(tmp_path / 'first').train()
    checkpoint = str(tmp_path / 'first' / 'iter_3.pth')
    saved = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    saved_direction = saved['state_dict']['head.classifier.direction.direction'].double()
    assert saved_direction.abs().sum() > 0

    runner = build_runner(tmp_path / 'resumed', max_iters=5, resume=True, load_from=checkpoint)
    features = record_head_inputs(runner.model)
    runner.train()

    assert runner.iter == 5 and len(features) == 2
    m4, m5 = (batch_mean(f) for f in features)
    assert_direction(runner.model, 0.81 * saved_direction + 0.9 * m4 + m5)


@pytest.mark.parametrize('update_buffers', [False, True])
def test_ema_model_takes_the_direction_of_the_step_just_taken(tmp_path, update_buffers):
    """HeadDirectionHook (ABOVE_NORMAL) runs before EMAHook (NORMAL) after each iteration, also
    when listed after it: the EMA model copies (``update_buffers=False``) or averages
    (``True``, ema <- 0.75 ema + 0.25 d after a first copy) d_1, d_2, d_3 of the steps just
    taken, never the d of the step before."""
    runner = build_runner(tmp_path, custom_hooks=[
        dict(type='EMAHook', momentum=0.25, update_buffers=update_buffers),
        dict(type='HeadDirectionHook')])
    features = record_head_inputs(runner.model)
    runner.train()

    m1, m2, m3 = (batch_mean(f) for f in features)
    d1 = m1
    d2 = 0.9 * d1 + m2
    d3 = 0.9 * d2 + m3
    expected = 0.75 * (0.75 * d1 + 0.25 * d2) + 0.25 * d3 if update_buffers else d3
    ema_hook, = (hook for hook in runner.hooks if type(hook).__name__ == 'EMAHook')
    assert_direction(ema_hook.ema_model.module, expected)
    assert_direction(runner.model, d3)
    # EMAHook saves the EMA weights as the checkpoint's state_dict, which tools/test.py loads
    saved = CheckpointLoader.load_checkpoint(str(tmp_path / 'iter_3.pth'), map_location='cpu')
    torch.testing.assert_close(
        saved['state_dict']['head.classifier.direction.direction'].double(), expected, rtol=0,
        atol=1e-6)


def test_model_without_head_direction_fails_before_training(tmp_path):
    model = model_cfg()
    model['head'] = dict(type='LinearClsHead', num_classes=3, in_channels=8)
    runner = build_runner(tmp_path, model=model)
    with pytest.raises(ValueError, match='HeadDirectionHook: no module of the model has a head '
                       r"direction; use a head that keeps one \(e.g. dict\(type='TDEClsHead'\)\)"):
        runner.train()
    assert runner.iter == 0


@pytest.mark.parametrize('momentum', [1.0, -0.1, float('nan')])
def test_bad_momentum_is_rejected(momentum):
    with pytest.raises(ValueError, match=rf'momentum={momentum} must be in \[0, 1\)'):
        HOOKS.build(dict(type='HeadDirectionHook', momentum=momentum))


@pytest.mark.parametrize('optimizer, message', [
    (dict(type='Adagrad', lr=0.1), 'Adagrad has neither a momentum nor betas; pass it'),
    (dict(SGD, momentum=1.0), r'the optimizer momentum 1.0 is not in \[0, 1\); pass one'),
])
def test_unreadable_optimizer_momentum_fails_before_training(tmp_path, optimizer, message):
    runner = build_runner(tmp_path, optimizer=optimizer)
    with pytest.raises(ValueError, match=message):
        runner.train()
    assert runner.iter == 0


def test_optim_wrapper_dict_is_rejected(tmp_path):
    model = MODELS.build(model_cfg())
    wrappers = {name: OptimWrapper(torch.optim.SGD(part.parameters(), lr=0.1, momentum=0.9))
                for name, part in [('backbone', model.backbone), ('head', model.head)]}
    runner = build_runner(tmp_path, model=model, optim_wrapper=wrappers,
                          hook=dict(type='HeadDirectionHook', momentum=0.9))
    with pytest.raises(ValueError, match='cannot tell when the optimizers of an OptimWrapperDict'):
        runner.train()


# The Runner's default DDP wrapping, without a CUDA device id.
DDP = dict(model_wrapper_cfg=dict(type='MMDistributedDataParallel', device_ids=None,
                                  broadcast_buffers=False))


def _ddp_worker(rank: int, port: int, work_dir: str, runner_args: dict) -> None:
    """One of 2 gloo ranks: ``build_runner(**runner_args)`` under DDP; saves what it recorded."""
    with gloo_rank(rank, port):
        runner = build_runner(work_dir, launcher='pytorch', cfg=DDP, **runner_args)
        features = record_head_inputs(runner.model)
        runner.train()
        torch.save(dict(features=features, direction=direction_of(runner.model).clone()),
                   os.path.join(work_dir, f'rank{rank}.pt'))


def run_ddp(work_dir: Path, **runner_args) -> tuple:
    """What each of the 2 ranks recorded: ``(rank 0's, rank 1's)`` dicts of ``_ddp_worker``."""
    run_two_ranks(_ddp_worker, str(work_dir), runner_args)
    return tuple(torch.load(work_dir / f'rank{rank}.pt') for rank in (0, 1))


def test_ddp_ranks_hold_the_global_batch_mean(tmp_path):
    """7 images split 4 / 3 by DefaultSampler, 2 epochs of 1 step."""
    rank0, rank1 = run_ddp(
        tmp_path, train_dataloader=dataloader(ToyImages(7), batch_size=4, round_up=False),
        train_cfg=dict(by_epoch=True, max_epochs=2))

    assert [len(f) for f in rank0['features']] == [4, 4]
    assert [len(f) for f in rank1['features']] == [3, 3]
    assert torch.equal(rank0['direction'], rank1['direction'])
    m1, m2 = (batch_mean(a, b) for a, b in zip(rank0['features'], rank1['features']))
    torch.testing.assert_close(rank0['direction'].double(), 0.9 * m1 + m2, rtol=0, atol=1e-6)


def test_ddp_accumulated_micro_batches_of_both_ranks_form_one_batch(tmp_path):
    """7 images split 4 / 3, micro-batches of 2 (rank 0: 2 + 2, rank 1: 2 + 1), two
    micro-batches per step, 2 epochs: each step's mean is over its 7 rows, not its 4 batches."""
    rank0, rank1 = run_ddp(
        tmp_path, optim_wrapper=dict(optimizer=SGD, accumulative_counts=2),
        train_dataloader=dataloader(ToyImages(7), batch_size=2, round_up=False),
        train_cfg=dict(by_epoch=True, max_epochs=2))

    assert [len(f) for f in rank0['features']] == [2, 2, 2, 2]
    assert [len(f) for f in rank1['features']] == [2, 1, 2, 1]
    assert torch.equal(rank0['direction'], rank1['direction'])
    m1 = batch_mean(*rank0['features'][:2], *rank1['features'][:2])
    m2 = batch_mean(*rank0['features'][2:], *rank1['features'][2:])
    torch.testing.assert_close(rank0['direction'].double(), 0.9 * m1 + m2, rtol=0, atol=1e-6)
