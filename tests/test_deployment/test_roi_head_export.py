"""The RoI classifier of TDEShared2FCBBoxHead exported alone: onnxruntime against PyTorch."""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS

import mmcausal  # noqa: F401  (registers TDEShared2FCBBoxHead)
from mmcausal.deployment import deployable_roi_head, export_onnx, run_onnx

NUM_CLASSES, IN_CHANNELS, ROI_SIZE = 5, 4, 3


def trained_head(num_heads: int, background_exempted: bool):
    """A TDEShared2FCBBoxHead (5 classes + background, 16 shared features) in eval mode, with a
    head direction of positive entries like a mean of ReLU features."""
    torch.manual_seed(0)
    head = MODELS.build(dict(type='TDEShared2FCBBoxHead', in_channels=IN_CHANNELS,
                             roi_feat_size=ROI_SIZE, fc_out_channels=16, num_classes=NUM_CLASSES,
                             num_heads=num_heads, background_exempted=background_exempted))
    head.init_weights()
    head.fc_cls.direction.vector.copy_(torch.rand(16) + 0.1)
    return head.eval()


@pytest.mark.parametrize('num_heads', [1, 2])
@pytest.mark.parametrize('alpha,background_exempted', [(0.0, True), (1.5, True), (1.5, False)])
def test_onnxruntime_matches_the_head(num_heads, alpha, background_exempted, tmp_path):
    head = trained_head(num_heads, background_exempted)
    rois = torch.rand(200, IN_CHANNELS, ROI_SIZE, ROI_SIZE,
                      generator=torch.Generator().manual_seed(1))
    path = str(tmp_path / 'roi_head.onnx')
    export_onnx(deployable_roi_head(head, alpha), rois[:2], path, 'roi_feats',
                ['scores', 'bbox_deltas'])
    head.fc_cls.alpha = alpha
    with torch.no_grad():
        expected_scores, expected_deltas = head(rois)

    scores, deltas = run_onnx(path, rois)

    assert scores.shape == (200, NUM_CLASSES + 1) and deltas.shape == (200, 4 * NUM_CLASSES)
    np.testing.assert_allclose(scores, expected_scores.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(deltas, expected_deltas.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(scores.sum(1), 1.0, rtol=0, atol=1e-5)
    assert np.array_equal(scores.argmax(1), expected_scores.numpy().argmax(1))


def test_a_head_without_direction_is_refused_for_tde():
    head = trained_head(2, True)
    head.fc_cls.direction.vector.zero_()
    with pytest.raises(ValueError, match='alpha=1.5 needs the head direction, which is zero'):
        deployable_roi_head(head, 1.5)
