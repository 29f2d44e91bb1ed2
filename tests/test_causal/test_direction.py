"""HeadDirection: the decayed running sum d <- mu * d + batch mean, in one process."""
import pytest
import torch

from mmcausal.causal import HeadDirection


def test_three_updates_match_closed_form():
    mu = 0.9
    batches = [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, -2.0]]),
               torch.tensor([[5.0, 1.0], [1.0, 1.0], [0.0, 1.0]])]
    m1, m2, m3 = torch.tensor([2.0, 3.0]), torch.tensor([0.0, -2.0]), torch.tensor([2.0, 1.0])
    head = HeadDirection(2)
    for batch in batches:
        head.record(batch)
        head.update(mu)
    torch.testing.assert_close(head.vector, mu**2 * m1 + mu * m2 + m3)


def test_records_between_updates_form_one_batch():
    head = HeadDirection(2)
    head.record(torch.tensor([[1.0, 0.0]]))
    head.record(torch.tensor([[3.0, 2.0], [2.0, 1.0]]))
    head.update(0.5)
    torch.testing.assert_close(head.vector, torch.tensor([2.0, 1.0]))


def test_update_without_rows_leaves_direction_unchanged():
    head = HeadDirection(3)
    head.record(torch.tensor([[1.0, 2.0, 3.0]]))
    head.update(0.9)
    head.update(0.9)  # nothing recorded in between: no decay, no NaN
    torch.testing.assert_close(head.vector, torch.tensor([1.0, 2.0, 3.0]))
    head.record(torch.empty(0, 3))
    head.update(0.9)
    torch.testing.assert_close(head.vector, torch.tensor([1.0, 2.0, 3.0]))


def test_non_finite_rows_are_dropped_with_a_warning():
    head = HeadDirection(2)
    features = torch.tensor([[1.0, 1.0], [float('nan'), 0.0], [3.0, float('inf')], [3.0, 5.0]])
    with pytest.warns(UserWarning, match='dropped 2 of 4 feature rows'):
        head.record(features)
    head.update(0.9)
    torch.testing.assert_close(head.vector, torch.tensor([2.0, 3.0]))


def test_half_precision_features_accumulate_in_float():
    head = HeadDirection(1)
    # 4096 + 1 is not representable in fp16; the float64 accumulator keeps it exactly.
    head.record(torch.tensor([[4096.0], [1.0]], dtype=torch.float16))
    head.update(0.0)
    assert head.vector.dtype == torch.float32
    assert head.vector.item() == 2048.5


def test_only_the_direction_is_a_buffer():
    # Pending rows are no buffer: DDP's broadcast_buffers=True must not overwrite them.
    head = HeadDirection(2)
    head.record(torch.ones(1, 2))
    assert list(head.state_dict()) == ['direction']
    assert [name for name, _ in head.named_buffers()] == ['direction']


def test_checkpoint_without_direction_loads_with_warning_and_zero():
    module = torch.nn.Module()
    module.direction = HeadDirection(2)
    module.direction.vector.fill_(7.0)
    with pytest.warns(UserWarning, match='checkpoint has no head direction "direction.direction"'):
        result = module.load_state_dict({}, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(module.direction.vector, torch.zeros(2))
