"""A checkpoint and a split loaded for analysis: the model, the data and metric of the split, the
head features of ``model.test_step``'s path, and the refusals that name the argument at fault.

The model is the demo's digits de-confound model, untrained (the numbers of a trained one are
checked through tools/analysis/ in tests/test_tools/test_analysis_tools.py), saved with a zero
head direction, as before training, and with one as ``HeadDirectionHook`` leaves it.
"""
import math
import os.path as osp
import re
from typing import Dict

import pytest
import torch
from mmpretrain.apis import get_model

from mmcausal.apis import head_features, load_for_analysis, split_terms
from mmcausal.apis.analysis import class_removal, head_to_tail
from mmcausal.causal import CausalClassifier

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'digits_lt', 'deconfound_resnet8_1xb32-30e_digits-lt-r100.py')
# the long-tailed training counts of the digits config
TRAIN_COUNTS = [124, 74, 44, 26, 16, 9, 5, 3, 2, 1]


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory) -> Dict[str, str]:
    """``{'zero': path, 'recorded': path}``: the model with d = 0 and with d = (1, ..., 1)."""
    model = get_model(CONFIG)
    root = tmp_path_factory.mktemp('checkpoints')
    paths = {}
    for name, value in (('zero', 0.0), ('recorded', 1.0)):
        model.head.classifier.direction.vector.fill_(value)
        paths[name] = str(root / f'{name}.pth')
        torch.save(dict(state_dict=model.state_dict()), paths[name])
    return paths


def test_head_features_follow_the_test_step(checkpoints):
    model, dataloader, metric = load_for_analysis(CONFIG, checkpoints['recorded'], 'test')
    assert not model.training
    assert bool((model.head.classifier.direction.vector == 1).all())
    assert list(metric.class_counts()) == TRAIN_COUNTS
    features, labels = head_features(model, dataloader)
    assert features.shape == (500, 64)  # the 50 held-out digits of each class
    assert labels.tolist() == [dataloader.dataset.get_data_info(i)['gt_label']
                               for i in range(500)]
    batch = next(iter(dataloader))
    with torch.no_grad():
        scores = torch.stack([sample.pred_score for sample in model.test_step(batch)])
        logits = model.head.classifier(features[:len(scores)])
    torch.testing.assert_close(scores, logits.softmax(dim=1))


def test_split_terms_of_tde_and_of_logit_adjustment(checkpoints):
    tde = split_terms(CONFIG, checkpoints['recorded'], 'test')
    model, dataloader, _ = load_for_analysis(CONFIG, checkpoints['recorded'], 'test')
    features, labels = head_features(model, dataloader)
    with torch.no_grad():
        z, c = model.head.classifier.logit_terms(features)
    torch.testing.assert_close((tde.z, tde.c, tde.gt), (z, c, labels))
    assert list(tde.metric.class_counts()) == TRAIN_COUNTS

    # a linear model: its logits, and log p_i = log(n_i / sum n) for logit adjustment
    linear = split_terms(CONFIG, checkpoints['recorded'], 'test',
                         {'model.head.classifier': 'linear'}, linear=True)
    assert linear.z.shape == linear.c.shape == (500, 10)
    log_prior = torch.tensor([math.log(n / sum(TRAIN_COUNTS)) for n in TRAIN_COUNTS])
    torch.testing.assert_close(linear.c, log_prior.expand(500, 10))
    with pytest.raises(ValueError, match="has classifier='deconfound', not 'linear'"):
        split_terms(CONFIG, checkpoints['recorded'], 'test', linear=True)


def test_class_removal_by_hand():
    # K = 2 groups of 2 channels, tau / K = 1, gamma = 0: per group w^_ik . d_k
    classifier = CausalClassifier(4, 2, num_heads=2, tau=2.0, gamma=0.0)
    classifier.weight.data = torch.tensor([[3., 4., 1., 0.], [0., 1., 0., 2.]])
    classifier.direction.vector.copy_(torch.tensor([1., 0., 0., 1.]))
    # cos(x_k, d_k): sample 0 (1, 1), sample 1 (1 / sqrt(2), 0.8)
    features = torch.tensor([[1., 0., 0., 3.], [1., 1., 3., 4.]])
    removal = class_removal(classifier, features)
    torch.testing.assert_close(removal.per_group, torch.tensor([[0.6, 0.], [0., 1.]]))
    mean_cos = torch.tensor([(1 + 0.5**0.5) / 2, 0.9])
    torch.testing.assert_close(removal.mean, torch.tensor([0.6 * mean_cos[0], mean_cos[1]]))
    torch.testing.assert_close(removal.mean, classifier.logit_terms(features)[1].mean(0))
    with pytest.raises(ValueError, match="classifier='linear' has no TDE removal"):
        class_removal(CausalClassifier(4, 2, classifier='linear'), features)


def test_head_to_tail_keeps_the_class_order_of_ties():
    assert head_to_tail([5, 50, 5, 500]) == [3, 1, 0, 2]


def test_zero_head_direction_is_refused(checkpoints):
    with pytest.raises(ValueError, match='head direction of the checkpoint is zero'):
        load_for_analysis(CONFIG, checkpoints['zero'], 'test')


def test_models_without_tde_are_refused(checkpoints, tmp_path):
    linear = {'model.head.classifier': 'linear'}
    with pytest.raises(ValueError, match="model.head has classifier='linear'"):
        load_for_analysis(CONFIG, checkpoints['recorded'], 'test', linear)
    # without TDE (feature statistics, logit adjustment) a linear classifier is analysed
    model, _, _ = load_for_analysis(CONFIG, checkpoints['recorded'], 'test', linear, tde=False)
    assert model.head.classifier.is_linear
    linear_head = tmp_path / 'linear_head.py'
    linear_head.write_text(f'_base_ = {CONFIG!r}\nmodel = dict(head=dict(_delete_=True, '
                           "type='LinearClsHead', num_classes=10, in_channels=64))\n")
    with pytest.raises(ValueError, match='model.head is LinearClsHead, not a TDEClsHead'):
        load_for_analysis(str(linear_head), checkpoints['recorded'], 'test', tde=False)


def test_split_and_config_errors_name_the_argument(checkpoints, tmp_path):
    with pytest.raises(ValueError, match="split='val': the config has no val_dataloader"):
        load_for_analysis(CONFIG, checkpoints['recorded'], 'val')
    with pytest.raises(ValueError, match=re.escape("split='train': choose one of ('val', 'test')")):
        load_for_analysis(CONFIG, checkpoints['recorded'], 'train')
    detector = tmp_path / 'detector.py'
    detector.write_text(f"_base_ = {CONFIG!r}\ndefault_scope = 'mmdet'\n")
    with pytest.raises(ValueError, match=re.escape(f'config={str(detector)!r} is an mmdet config')):
        load_for_analysis(str(detector), checkpoints['recorded'], 'test')
