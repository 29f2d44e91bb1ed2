"""TDEShared2FCBBoxHead: Eq. 9 by hand, foreground-only head direction (on 1 and 2 ranks), no
second softmax."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from _dist import gloo_rank, run_two_ranks
from _reference import softmax
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmengine.config import ConfigDict

import mmcausal  # noqa: F401  (registers TDEShared2FCBBoxHead)
from mmcausal.models import TDEShared2FCBBoxHead


def build_head(**kwargs) -> TDEShared2FCBBoxHead:
    cfg = dict(type='TDEShared2FCBBoxHead', in_channels=4, roi_feat_size=2, fc_out_channels=8,
               num_classes=3, reg_class_agnostic=True)
    return MODELS.build({**cfg, **kwargs})


def shared_features_by_hand(head: TDEShared2FCBBoxHead, roi_feats: torch.Tensor) -> torch.Tensor:
    first, second = head.shared_fcs
    hidden = F.relu(F.linear(roi_feats.flatten(1), first.weight, first.bias))
    return F.relu(F.linear(hidden, second.weight, second.bias))


# ---------------------------------------------------------------- inference (paper Eq. 8, 9)
def hand_head(**kwargs) -> TDEShared2FCBBoxHead:
    """A head whose shared FCs map the RoI feature [[[[1.]]]] to x = (3, 4).

    Classes 0, 1 and background have weights (1, 0), (0, 2), (1, 1); the head direction is
    (2, 0); K=1, tau=2, gamma=0.5.
    """
    head = build_head(in_channels=1, roi_feat_size=1, fc_out_channels=2, num_classes=2,
                      num_heads=1, tau=2.0, gamma=0.5, **kwargs)
    with torch.no_grad():
        first, second = head.shared_fcs
        first.weight.copy_(torch.tensor([[3.], [4.]]))
        second.weight.copy_(torch.eye(2))
        first.bias.zero_()
        second.bias.zero_()
        head.fc_cls.weight.copy_(torch.tensor([[1., 0.], [0., 2.], [1., 1.]]))
        head.fc_cls.direction.vector.copy_(torch.tensor([2., 0.]))
    return head.eval()


def hand_logits(alpha: float) -> tuple:
    """z and TDE of ``hand_head`` in plain Python: x^ = (0.6, 0.8), d^ = (1, 0), cos(x, d) = 0.6.

    z_i = tau (w_i . x^) / (|w_i| + gamma)
    TDE_i = z_i - alpha tau cos(x, d) (w_i . d^) / (|w_i| + gamma)
    """
    norms = [1.0 + 0.5, 2.0 + 0.5, math.sqrt(2) + 0.5]
    w_dot_x = [0.6, 1.6, 1.4]
    w_dot_d = [1.0, 0.0, 1.0]
    z = [2 * wx / n for wx, n in zip(w_dot_x, norms)]
    tde = [zi - alpha * 2 * 0.6 * wd / n for zi, wd, n in zip(z, w_dot_d, norms)]
    return z, tde


def test_background_exempted_scores_match_a_hand_computation():
    head = hand_head(alpha=1.0, background_exempted=True)
    z, tde = hand_logits(alpha=1.0)
    p, q = softmax(z), softmax(tde)
    expected = [(1 - p[2]) * q[0] / (1 - q[2]), (1 - p[2]) * q[1] / (1 - q[2]), p[2]]

    cls_score, bbox_pred = head(torch.ones(1, 1, 1, 1))

    assert cls_score.tolist()[0] == pytest.approx(expected, abs=1e-6)
    assert cls_score.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert bbox_pred.shape == (1, 4)
    # Class 0 lies along the head direction: TDE moves its probability to class 1.
    assert cls_score[0, 0] < p[0] - 0.09 and cls_score[0, 1] > p[1] + 0.09


def test_without_exemption_scores_are_softmax_of_tde():
    head = hand_head(alpha=1.0, background_exempted=False)
    _, tde = hand_logits(alpha=1.0)
    cls_score, _ = head(torch.ones(1, 1, 1, 1))
    assert cls_score.tolist()[0] == pytest.approx(softmax(tde), abs=1e-6)


def test_alpha_zero_with_exemption_returns_p_exactly():
    head = hand_head(alpha=0.0, background_exempted=True)
    z, _ = hand_logits(alpha=0.0)
    x = shared_features_by_hand(head, torch.ones(1, 1, 1, 1))
    cls_score, _ = head(torch.ones(1, 1, 1, 1))
    assert torch.equal(cls_score, head.fc_cls.logit_terms(x)[0].softmax(dim=-1))
    assert cls_score.tolist()[0] == pytest.approx(softmax(z), abs=1e-6)


def test_exempted_scores_stay_finite_when_tde_is_certain_of_background():
    """Weights (1, 0), (2, 0), (-1, 0) and alpha=100: TDE = (-79.2, -95.04, 79.2), so in float32
    q_0 = q_1 = 0 and 1 - q_bg = 0; Eq. 9's q_i / (1 - q_bg) is the foreground softmax."""
    head = hand_head(alpha=100.0, background_exempted=True)
    head.fc_cls.weight.data.copy_(torch.tensor([[1., 0.], [2., 0.], [-1., 0.]]))
    p = softmax([2 * 0.6 / 1.5, 2 * 1.2 / 2.5, -2 * 0.6 / 1.5])
    q0 = 1 / (1 + math.exp(-95.04 + 79.2))  # softmax of the foreground TDE logits
    cls_score, _ = head(torch.ones(1, 1, 1, 1))
    assert cls_score.tolist()[0] == pytest.approx([(1 - p[2]) * q0, (1 - p[2]) * (1 - q0), p[2]],
                                                  abs=1e-6)


def test_zero_direction_predicts_with_p():
    head = hand_head(alpha=1.0, background_exempted=True)
    head.fc_cls.direction.vector.zero_()
    z, _ = hand_logits(alpha=0.0)
    with pytest.warns(UserWarning, match='head direction is still zero'):
        cls_score, _ = head(torch.ones(1, 1, 1, 1))
    assert cls_score.tolist()[0] == pytest.approx(softmax(z), abs=1e-6)


@pytest.mark.parametrize('classifier', ['deconfound', 'cosine', 'capsule'])
@pytest.mark.parametrize('exempted', [True, False])
def test_scores_are_probabilities_and_exemption_keeps_background(classifier, exempted):
    torch.manual_seed(0)
    head = build_head(classifier=classifier, alpha=1.5, background_exempted=exempted)
    head.fc_cls.direction.vector.copy_(torch.randn(8))
    head.eval()
    rois = torch.randn(5, 4, 2, 2)
    cls_score, _ = head(rois)
    z = head.fc_cls.logit_terms(shared_features_by_hand(head, rois))[0]
    assert cls_score.shape == (5, 4)
    assert torch.allclose(cls_score.sum(dim=1), torch.ones(5), atol=1e-6)
    assert (cls_score >= 0).all()
    background_kept = torch.allclose(cls_score[:, -1], z.softmax(dim=-1)[:, -1], atol=1e-7)
    assert background_kept == exempted


# ------------------------------------------------ training: CE on z, foreground-only direction
def sampling_result(foreground_labels: list, num_background: int) -> SamplingResult:
    """RoIs of one image: one per foreground label (each its own GT box), then background."""
    num_fg = len(foreground_labels)
    num = num_fg + num_background
    priors = torch.tensor([[0., 0., 10., 10.]]) + 4 * torch.arange(num, dtype=torch.float)[:, None]
    assign = AssignResult(
        num_gts=num_fg,
        gt_inds=torch.tensor(list(range(1, num_fg + 1)) + [0] * num_background),
        max_overlaps=torch.ones(num),
        labels=torch.tensor(foreground_labels + [-1] * num_background))
    return SamplingResult(torch.arange(num_fg), torch.arange(num_fg, num), priors,
                          gt_bboxes=priors[:num_fg], assign_result=assign,
                          gt_flags=torch.zeros(num, dtype=torch.uint8))


def train_step(head: TDEShared2FCBBoxHead, results: list, roi_feats: torch.Tensor) -> dict:
    """Forward and loss of one training batch, as StandardRoIHead/CascadeRoIHead call them."""
    rois = torch.cat([torch.cat([torch.full((len(r.priors), 1), float(i)), r.priors], dim=1)
                      for i, r in enumerate(results)])
    cls_score, bbox_pred = head.train()(roi_feats)
    return head.loss_and_target(cls_score, bbox_pred, rois, results,
                                ConfigDict(pos_weight=-1))['loss_bbox']


def test_direction_records_foreground_rois_including_class_0_only():
    """Labels 0, 0, 2 are foreground and 3 (= num_classes) background; the authors' mmdet-2 port
    selected ``label > 0``, which drops class 0 and takes the background in."""
    torch.manual_seed(0)
    head = build_head()
    results = [sampling_result([0, 0, 2], num_background=3), sampling_result([1], 2)]
    roi_feats = torch.randn(9, 4, 2, 2)
    labels = torch.tensor([0, 0, 2, 3, 3, 3, 1, 3, 3])
    features = shared_features_by_hand(head, roi_feats)

    losses = train_step(head, results, roi_feats)
    head.fc_cls.direction.update(momentum=0.9)

    direction = head.fc_cls.direction.vector
    assert torch.isfinite(losses['loss_cls']) and losses['loss_cls'] > 0
    assert torch.allclose(direction, features[labels < 3].mean(dim=0), atol=1e-6)
    assert not torch.allclose(direction, features[labels > 0].mean(dim=0), atol=1e-3)


def test_training_scores_are_the_de_confounded_logits():
    torch.manual_seed(0)
    head = build_head(alpha=1.5).train()
    head.fc_cls.direction.vector.copy_(torch.randn(8))
    roi_feats = torch.randn(3, 4, 2, 2)
    cls_score, _ = head(roi_feats)
    z = head.fc_cls.logit_terms(shared_features_by_hand(head, roi_feats))[0]
    assert torch.allclose(cls_score, z, atol=1e-6)


def test_batch_without_foreground_leaves_the_direction_unchanged():
    torch.manual_seed(0)
    head = build_head()
    train_step(head, [sampling_result([1], 2)], torch.randn(3, 4, 2, 2))
    head.fc_cls.direction.update(momentum=0.9)
    before = head.fc_cls.direction.vector.clone()

    losses = train_step(head, [sampling_result([], 4)], torch.randn(4, 4, 2, 2))
    head.fc_cls.direction.update(momentum=0.9)

    assert torch.isfinite(losses['loss_cls'])
    assert torch.equal(head.fc_cls.direction.vector, before)
    assert before.any()


# Per rank and step: the foreground labels and the number of background RoIs of its one image.
# Step 1: only rank 0 has foreground; step 2: only rank 1; step 3: neither.
RANK_STEPS = {0: [([0, 2, 1], 1), ([], 2), ([], 2)], 1: [([], 3), ([1, 1], 2), ([], 1)]}


def _foreground_on_one_rank_worker(rank: int, port: int, out_dir: str) -> None:
    with gloo_rank(rank, port):
        torch.manual_seed(0)  # the same head on both ranks
        head = build_head()
        generator = torch.Generator().manual_seed(rank)
        features = []
        for labels, num_background in RANK_STEPS[rank]:
            roi_feats = torch.randn(len(labels) + num_background, 4, 2, 2, generator=generator)
            features.append(shared_features_by_hand(head, roi_feats)[:len(labels)])
            train_step(head, [sampling_result(labels, num_background)], roi_feats)
            head.fc_cls.direction.update(momentum=0.9)  # every rank joins the all-reduce
        torch.save(dict(foreground=features, direction=head.fc_cls.direction.vector.clone()),
                   osp.join(out_dir, f'rank{rank}.pt'))


def test_ranks_agree_when_only_one_has_foreground_rois(tmp_path):
    """A detection batch without foreground on one rank: both ranks fold in the global mean of
    the foreground rows that exist (d = 0.9 m1 + m2), and a step without any leaves d as is."""
    run_two_ranks(_foreground_on_one_rank_worker, str(tmp_path), timeout=120)

    rank0, rank1 = (torch.load(tmp_path / f'rank{rank}.pt') for rank in (0, 1))
    assert [len(rows) for rows in rank0['foreground']] == [3, 0, 0]
    assert [len(rows) for rows in rank1['foreground']] == [0, 2, 0]
    assert torch.equal(rank0['direction'], rank1['direction'])
    m1, m2 = rank0['foreground'][0].mean(dim=0), rank1['foreground'][1].mean(dim=0)
    torch.testing.assert_close(rank0['direction'], 0.9 * m1 + m2, rtol=0, atol=1e-6)


def test_loss_needs_the_features_of_a_training_forward():
    head = build_head()
    result = sampling_result([0], 1)
    head.eval()
    cls_score, bbox_pred = head(torch.randn(2, 4, 2, 2))
    rois = torch.cat([torch.zeros(2, 1), result.priors], dim=1)
    with pytest.raises(RuntimeError, match='training-mode forward'):
        head.loss_and_target(cls_score, bbox_pred, rois, [result], ConfigDict(pos_weight=-1))


# ------------------------------------------------------------------- post-processing
def test_predict_by_feat_takes_probabilities_without_a_second_softmax():
    head = build_head().eval()
    probabilities = torch.tensor([[0.6, 0.3, 0.05, 0.05], [0.1, 0.1, 0.7, 0.1]])
    rois = torch.tensor([[0., 0., 0., 10., 10.], [0., 20., 20., 40., 40.]])
    kwargs = dict(rois=(rois, ), cls_scores=(probabilities, ), bbox_preds=(torch.zeros(2, 4), ),
                  batch_img_metas=[dict(img_shape=(64, 64))])

    raw = head.predict_by_feat(**kwargs, rcnn_test_cfg=None)[0]
    assert torch.allclose(raw.scores, probabilities, atol=1e-6)

    nms = ConfigDict(score_thr=0.2, nms=dict(type='nms', iou_threshold=0.5), max_per_img=10)
    detections = head.predict_by_feat(**kwargs, rcnn_test_cfg=nms)[0]
    assert detections.scores.tolist() == pytest.approx([0.7, 0.6, 0.3], abs=1e-6)
    assert detections.labels.tolist() == [2, 0, 1]
    assert detections.bboxes.tolist() == [[20., 20., 40., 40.], [0., 0., 10., 10.],
                                          [0., 0., 10., 10.]]


# ------------------------------------------------------------------- configuration
def test_initialization_keeps_the_classifier_init_of_normalized_classifiers():
    torch.manual_seed(0)
    normalized = build_head(fc_out_channels=64, num_classes=15)
    linear = build_head(fc_out_channels=64, num_classes=15, classifier='linear')
    normalized.init_weights()
    linear.init_weights()
    bound = 64**-0.5  # CausalClassifier: uniform(-1/sqrt(C), 1/sqrt(C)), std = bound / sqrt(3)
    assert normalized.fc_cls.weight.abs().max() <= bound
    assert normalized.fc_cls.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    # the linear classifier keeps mmdet's Normal(std=0.01) and zero bias
    assert linear.fc_cls.weight.std().item() == pytest.approx(0.01, rel=0.1)
    assert not linear.fc_cls.bias.any()


@pytest.mark.parametrize('classifier, fc_cls_keys', [
    ('deconfound', ['fc_cls.weight', 'fc_cls.direction.direction']),
    ('linear', ['fc_cls.weight', 'fc_cls.bias', 'fc_cls.direction.direction']),
])
def test_state_dict_keys_of_trained_checkpoints_load(classifier, fc_cls_keys):
    """Users' checkpoints store the head under these keys, the head direction included."""
    head = build_head(classifier=classifier)
    keys = ['shared_fcs.0.weight', 'shared_fcs.0.bias', 'shared_fcs.1.weight',
            'shared_fcs.1.bias', 'fc_reg.weight', 'fc_reg.bias', *fc_cls_keys]
    assert sorted(head.state_dict()) == sorted(keys)
    state = {key: torch.rand_like(value) for key, value in head.state_dict().items()}
    head.load_state_dict(state, strict=True)
    assert torch.equal(head.fc_cls.direction.vector, state['fc_cls.direction.direction'])
    assert torch.equal(head.fc_cls.weight, state['fc_cls.weight'])


def test_num_heads_need_only_divide_fc_out_channels():
    """K = 3 divides fc_out_channels = 9 but not the RoI input size in_channels * S * S = 16."""
    head = build_head(fc_out_channels=9, num_heads=3)
    assert head.fc_cls.weight.shape == (4, 9) and head.fc_cls.num_heads == 3
    cls_score, _ = head.train()(torch.randn(2, 4, 2, 2))
    assert cls_score.shape == (2, 4)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_heads=3), 'fc_out_channels=8 is not divisible by num_heads=3'),
    (dict(num_heads=0), 'fc_out_channels=8 is not divisible by num_heads=0'),
    (dict(classifier='linear', alpha=1.5), "TDEShared2FCBBoxHead: alpha=1.5 needs a normalized"),
    (dict(classifier='softmax'), "classifier='softmax' is unknown"),
    (dict(alpha=-1.0), 'alpha=-1.0 must be >= 0'),
    (dict(loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True)), 'must be a softmax loss'),
    (dict(with_cls=False), 'with_cls=False'),
])
def test_bad_config_raises_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_head(**kwargs)
