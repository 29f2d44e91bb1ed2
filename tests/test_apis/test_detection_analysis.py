"""The outcomes of ground-truth objects (found, detected, classified, top 5) on hand-made
boxes, and their shares per LVIS frequency group. The detector end to end:
tests/test_models/test_cascade_lvis.py."""
import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmcausal.apis.detection_analysis import (class_scores, group_rates, image_outcomes,
                                              split_dataset)


def test_image_outcomes_on_hand_made_boxes():
    gt_boxes = torch.tensor([[0., 0., 10., 10.], [20., 20., 30., 30.], [50., 50., 60., 60.],
                             [80., 80., 90., 90.]])
    gt_labels = torch.tensor([0, 1, 2, 3])
    boxes = torch.tensor([[0., 0., 10., 9.],  # IoU 0.9 with the first, its category
                          [20., 20., 30., 26.],  # IoU 0.6 with the second, another category
                          [50., 50., 55., 55.]])  # IoU 0.25 with the third: too little
    labels = torch.tensor([0, 0, 2])
    # 7 foreground classes and the background (last), per object: its category first; second;
    # first among the foreground, the background higher; sixth
    gt_scores = torch.tensor([[.9, .1, .0, .0, .0, .0, .0, .0],
                              [.5, .3, .1, .0, .0, .0, .0, .1],
                              [.0, .1, .3, .0, .0, .0, .0, .6],
                              [.7, .6, .5, .1, .4, .3, .2, .0]])

    outcomes = image_outcomes(gt_boxes, gt_labels, boxes, labels, gt_scores)

    assert outcomes['found'].tolist() == [True, True, False, False]
    assert outcomes['detected'].tolist() == [True, False, False, False]
    assert outcomes['classified'].tolist() == [True, False, True, False]
    assert outcomes['top5'].tolist() == [True, True, True, False]


def test_class_scores_read_seesaw_channels_as_predict_by_feat_does():
    """A Seesaw-loss head scores 3 classes and 2 objectness channels: softmax over the classes
    times p(object), background 1 - p(object). Read raw, the objectness logit (9) would rank
    first among the 'foreground' columns and no object would be classified."""
    init_default_scope('mmdet')
    seesaw, linear = (MODELS.build(dict(type='Shared2FCBBoxHead', num_classes=3, loss_cls=loss))
                      for loss in (dict(type='SeesawLoss', num_classes=3),
                                   dict(type='CrossEntropyLoss')))
    raw = torch.tensor([[1., 3., 2., 9., 0.]])
    p_object = 1 / (1 + np.exp(-9.))
    classes = np.exp([1., 3., 2.]) / np.exp([1., 3., 2.]).sum()

    scores = class_scores(seesaw, raw)

    assert np.allclose(scores.numpy(), [[*(classes * p_object), 1 - p_object]], atol=1e-6)
    box = torch.tensor([[0., 0., 10., 10.]])
    assert image_outcomes(box, torch.tensor([1]), box, torch.tensor([1]), scores)['classified']
    assert not image_outcomes(box, torch.tensor([1]), box, torch.tensor([1]), raw)['classified']
    assert torch.equal(class_scores(linear, raw[:, :4]), raw[:, :4])


def test_group_rates_are_shares_per_frequency_group():
    labels = np.array([0, 0, 1, 2, 2, 2])  # categories 0: r, 1: c, 2: f
    outcomes = dict(found=np.array([1, 1, 1, 1, 0, 0], bool),
                    detected=np.array([1, 0, 0, 1, 0, 0], bool),
                    classified=np.array([0, 0, 1, 1, 1, 0], bool),
                    top5=np.array([1, 0, 1, 1, 1, 1], bool))

    rates = group_rates(outcomes, labels, ['r', 'c', 'f'])

    assert rates == dict(found=dict(r=100.0, c=100.0, f=33.3),
                         detected=dict(r=50.0, c=0.0, f=33.3),
                         classified=dict(r=0.0, c=100.0, f=66.7),
                         top5=dict(r=50.0, c=100.0, f=100.0),
                         objects=dict(r=2, c=1, f=3))
    # a group without objects is left out
    assert set(group_rates(outcomes, labels, ['c', 'c', 'f'])['objects']) == {'c', 'f'}


def test_split_dataset_reads_the_training_set_with_the_test_pipeline():
    test_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    lvis = dict(type='LVISV05Dataset', ann_file='train.json', pipeline=[dict(type='RandomFlip')])
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(type='ClassBalancedDataset', oversample_thr=1e-3,
                                           dataset=lvis)),
        test_dataloader=dict(dataset=dict(type='LVISV05Dataset', ann_file='test.json',
                                          pipeline=test_pipeline))))

    assert split_dataset(cfg, 'train') == dict(type='LVISV05Dataset', ann_file='train.json',
                                               pipeline=test_pipeline)
    assert split_dataset(cfg, 'test') == cfg.test_dataloader.dataset
