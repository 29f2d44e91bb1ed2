"""A small Cascade Mask R-CNN with the TDE head on a tiny LVIS v0.5 dataset, through the Runner.

The dataset is built in a tmp dir from LVIS v0.5's 1230 categories (ids and names as mmdet's
``LVISV05Dataset`` knows them) and generated images, without the real data folder; the model is
the one of the deconfound-TDE LVIS config, shrunk to run on a CPU. LVIS evaluation on the real
annotation file is tested in tests/test_evaluation/test_lvis_real_annotations.py.
"""
import copy
import json
import os.path as osp
import subprocess
import sys

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from _checkout import REPO, checkout_env
from mmdet.datasets import LVISV05Dataset
from mmdet.evaluation import LVISMetric
from mmdet.registry import MODELS
from mmengine.config import Config, ConfigDict
from mmengine.runner import Runner
from mmengine.structures import InstanceData

import mmcausal  # noqa: F401  (registers the head and the hook; patches lvis for NumPy 2)
from mmcausal.models import TDEShared2FCBBoxHead

CONFIG = osp.join(REPO, 'configs', 'lvis',
                  'deconfound-tde_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py')
HEIGHT, WIDTH = 96, 128
# (image id, [x, y, w, h], frequency of the category): one category of each frequency group.
OBJECTS = [(1, [8, 8, 40, 32], 'f'), (1, [60, 40, 50, 40], 'c'), (2, [20, 16, 64, 56], 'r')]


def lvis_v05_categories() -> list:
    """The 1230 categories of an LVIS v0.5 annotation file: ids 1 to 1230 with the names of
    mmdet's ``LVISV05Dataset``, in its order. Their frequency groups are set here, not the real
    ones: id 1 is rare, id 2 common, the others frequent (these tests need one of each)."""
    names = LVISV05Dataset.METAINFO['classes']
    frequency = {1: 'r', 2: 'c'}
    return [dict(id=i, name=name, frequency=frequency.get(i, 'f'))
            for i, name in enumerate(names, start=1)]


@pytest.fixture(scope='module')
def tiny_lvis(tmp_path_factory) -> dict:
    """Two generated 96x128 images with one r, one c and one f object, in LVIS v0.5 format."""
    categories = lvis_v05_categories()
    assert len(categories) == 1230
    first_of = {}
    for category in categories:
        first_of.setdefault(category['frequency'], category['id'])
    root = tmp_path_factory.mktemp('lvis')
    rng = np.random.default_rng(0)
    images = []
    for image_id in (1, 2):
        image = rng.integers(0, 60, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        for obj_image, (x, y, w, h), _ in OBJECTS:
            if obj_image == image_id:
                image[y:y + h, x:x + w] = rng.integers(100, 256, 3, dtype=np.uint8)
        mmcv.imwrite(image, str(root / 'images' / f'{image_id:012d}.jpg'))
        images.append(dict(id=image_id, file_name=f'{image_id:012d}.jpg', height=HEIGHT,
                           width=WIDTH, neg_category_ids=[], not_exhaustive_category_ids=[]))
    annotations = [
        dict(id=i + 1, image_id=image_id, category_id=first_of[frequency], bbox=[x, y, w, h],
             area=w * h, segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]])
        for i, (image_id, (x, y, w, h), frequency) in enumerate(OBJECTS)
    ]
    ann_file = root / 'lvis_v0.5_tiny.json'
    ann_file.write_text(
        json.dumps(dict(images=images, annotations=annotations, categories=categories)))
    return dict(ann_file=str(ann_file), img_dir=str(root / 'images') + '/',
                annotations=annotations, cat_ids=[c['id'] for c in categories])


@pytest.fixture(scope='module')
def lvis_config() -> Config:
    return Config.fromfile(CONFIG)


def tiny_model(config: Config) -> ConfigDict:
    """The model of the deconfound-TDE LVIS v0.5 config (1230 classes, TDE heads with alpha=1.5
    and background exemption) with ResNet-18 at 8 base channels, 16-channel FPN and RoI
    features, 32-d shared FCs, a one-conv mask head, and few proposals and RoIs."""
    model = copy.deepcopy(config.model)
    model.backbone.update(depth=18, base_channels=8, init_cfg=None)
    model.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    model.rpn_head.update(in_channels=16, feat_channels=16)
    model.roi_head.bbox_roi_extractor.out_channels = 16
    model.roi_head.mask_roi_extractor.out_channels = 16
    model.roi_head.mask_roi_extractor.roi_layer.output_size = 7
    for head in model.roi_head.bbox_head:
        head.update(in_channels=16, fc_out_channels=32)
    model.roi_head.mask_head.update(in_channels=16, conv_out_channels=8, num_convs=1)
    model.train_cfg.rpn.sampler.num = 32
    model.train_cfg.rpn_proposal.update(nms_pre=64, max_per_img=32)
    for stage in model.train_cfg.rcnn:
        stage.mask_size = 14
        stage.sampler.num = 16
    model.test_cfg.rpn.update(nms_pre=64, max_per_img=16)
    model.test_cfg.rcnn.max_per_img = 20
    return model


def lvis_loader(data: dict, test_mode: bool) -> dict:
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations', with_bbox=True, with_mask=True)]
    if test_mode:
        pipeline += [dict(type='Resize', scale=(WIDTH, HEIGHT), keep_ratio=True)]
    pipeline += [dict(type='PackDetInputs')]
    dataset = dict(type='LVISV05Dataset', ann_file=data['ann_file'],
                   data_prefix=dict(img=data['img_dir']), test_mode=test_mode, pipeline=pipeline)
    return dict(dataset=dataset, batch_size=2, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False))


def test_one_train_iteration_and_test_step_through_the_runner(tiny_lvis, lvis_config, tmp_path):
    runner = Runner(
        model=tiny_model(lvis_config),
        work_dir=str(tmp_path),
        train_dataloader=lvis_loader(tiny_lvis, test_mode=False),
        train_cfg=dict(by_epoch=False, max_iters=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9)),
        test_dataloader=lvis_loader(tiny_lvis, test_mode=True),
        test_cfg=dict(),
        test_evaluator=dict(type='LVISMetric', ann_file=tiny_lvis['ann_file'],
                            metric=['bbox', 'segm']),
        custom_hooks=lvis_config.custom_hooks,
        default_hooks=dict(checkpoint=None),
        default_scope='mmdet',
        randomness=dict(seed=0))
    heads = runner.model.roi_head.bbox_head
    assert all(isinstance(head, TDEShared2FCBBoxHead) for head in heads)

    # Capture each stage's shared features (relu of the last shared FC) and RoI labels ourselves.
    features, labels = [[] for _ in heads], [[] for _ in heads]
    handles = []
    for stage, head in enumerate(heads):
        handles.append(head.shared_fcs[-1].register_forward_hook(
            lambda module, args, out, stage=stage: features[stage].append(out.detach().relu())))
        get_targets = head.get_targets

        def capture_targets(*args, stage=stage, get_targets=get_targets, **kwargs):
            targets = get_targets(*args, **kwargs)
            labels[stage].append(targets[0])
            return targets

        head.get_targets = capture_targets
    runner.train()
    for handle in handles:
        handle.remove()

    for stage, head in enumerate(heads):
        (stage_features, ), (stage_labels, ) = features[stage], labels[stage]
        foreground = stage_labels < 1230
        assert 0 < int(foreground.sum()) < len(stage_labels)
        # d = 0.9 * 0 + mean foreground feature (SGD momentum 0.9, one step from d = 0).
        direction = head.fc_cls.direction.vector
        assert torch.allclose(direction, stage_features[foreground].mean(dim=0), atol=1e-5)
        assert not torch.allclose(direction, stage_features[stage_labels > 0].mean(dim=0),
                                  atol=1e-3)

    metrics = runner.test()
    for metric in ('bbox', 'segm'):
        for item in ('AP', 'AP50', 'APr', 'APc', 'APf'):
            value = metrics[f'lvis/{metric}_{item}']
            assert 0 <= value <= 1  # -1 would mean a frequency group without ground truth


def test_cascade_averages_stage_probabilities_without_a_second_softmax(lvis_config):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model(lvis_config)).eval()
    heads = model.roi_head.bbox_head
    for head in heads:
        head.fc_cls.direction.vector.copy_(torch.rand(32))
    stage_scores = []
    for head in heads:
        head.register_forward_hook(lambda module, args, out: stage_scores.append(out[0]))
    proposals = torch.tensor([[4., 4., 40., 40.], [30., 20., 90., 60.], [0., 0., 64., 64.]])
    meta = dict(img_shape=(64, 96), ori_shape=(64, 96), scale_factor=(1., 1.))

    with torch.no_grad():
        x = model.extract_feat(torch.randn(1, 3, 64, 96))
        result, = model.roi_head.predict_bbox(x, [meta], [InstanceData(bboxes=proposals)],
                                              rcnn_test_cfg=None)

    assert len(stage_scores) == 3
    for scores in stage_scores:
        assert torch.allclose(scores.sum(dim=1), torch.ones(3), atol=1e-6)
    assert torch.allclose(result.scores, sum(stage_scores) / 3, atol=1e-6)


def test_lvis_metric_gives_ap_1_on_perfect_predictions(tiny_lvis):
    """Each category has one detection, a perfect one with score 1: precision is 1 at every
    recall threshold, so its AP is 1, and so is every mean over categories (AP, APr, APc, APf)."""
    metric = LVISMetric(ann_file=tiny_lvis['ann_file'], metric=['bbox', 'segm'])
    metric.dataset_meta = dict(classes=tuple(str(i) for i in tiny_lvis['cat_ids']))
    label_of = {cat_id: label for label, cat_id in enumerate(tiny_lvis['cat_ids'])}
    samples = []
    for image_id in (1, 2):
        anns = [a for a in tiny_lvis['annotations'] if a['image_id'] == image_id]
        masks = [mask_utils.decode(mask_utils.merge(
            mask_utils.frPyObjects(a['segmentation'], HEIGHT, WIDTH))) for a in anns]
        pred = dict(
            bboxes=torch.tensor([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)],
                                dtype=torch.float),
            scores=torch.ones(len(anns)),
            labels=torch.tensor([label_of[a['category_id']] for a in anns]),
            masks=torch.from_numpy(np.stack(masks)).bool())
        samples.append(dict(img_id=image_id, ori_shape=(HEIGHT, WIDTH), pred_instances=pred))
    metric.process({}, copy.deepcopy(samples))

    results = metric.evaluate(size=len(samples))

    for metric_name in ('bbox', 'segm'):
        for item in ('AP', 'APr', 'APc', 'APf'):
            assert results[f'lvis/{metric_name}_{item}'] == 1.0


def test_train_and_test_tools_run_the_lvis_config(tiny_lvis, lvis_config, tmp_path):
    """tools/train.py and tools/test.py on the real LVIS config, shrunk to the tiny model/data."""
    cfg = copy.deepcopy(lvis_config)
    cfg.model = tiny_model(lvis_config)
    cfg.train_dataloader = lvis_loader(tiny_lvis, test_mode=False)
    cfg.test_dataloader = lvis_loader(tiny_lvis, test_mode=True)
    cfg.test_evaluator = dict(type='LVISMetric', ann_file=tiny_lvis['ann_file'], metric=['bbox'])
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    config_file = str(tmp_path / 'tiny_lvis.py')
    cfg.dump(config_file)

    def run(*args: str) -> str:
        result = subprocess.run([sys.executable, *args], cwd=REPO, env=checkout_env(),
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout + result.stderr

    log = run('tools/train.py', config_file, '--work-dir', str(tmp_path / 'work'))
    assert 'HeadDirectionHook: updating head directions with momentum 0.9' in log
    checkpoint = torch.load(tmp_path / 'work' / 'epoch_1.pth', weights_only=True)
    for stage in range(3):
        key = f'roi_head.bbox_head.{stage}.fc_cls.direction.direction'
        assert checkpoint['state_dict'][key].abs().sum() > 0  # the hook folded the RoIs in
    log = run('tools/test.py', config_file, str(tmp_path / 'work' / 'epoch_1.pth'), '--work-dir',
              str(tmp_path / 'test'), '--cfg-options', 'model.roi_head.bbox_head.0.alpha=0.5')
    assert 'lvis/bbox_AP' in log
