"""The Cascade Mask R-CNN of the LVIS-mini deconfound-TDE config through the Runner, on scenes of
real pixels from tools/dataset_converters/lvis_mini.py.

The scenes are generated in a tmp dir from the real Fashion-MNIST files and CIFAR-10
photographs of the data folder (tests/conftest.py) with 120 training scenes for the head
category, so that the categories span LVIS's three frequency groups (1 frequent, 9 common, 10
rare); the model trains on 2 of the training scenes and is tested on the 10 test scenes. LVIS
evaluation on the real annotation file is tested in
tests/test_evaluation/test_lvis_real_annotations.py.
"""
import copy
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from _checkout import REPO, checkout_env
from _tools import load_script
from mmdet.evaluation import LVISMetric
from mmdet.registry import MODELS
from mmengine.config import Config, ConfigDict
from mmengine.runner import Runner
from mmengine.structures import InstanceData

import mmcausal  # noqa: F401  (registers the head and the hook; patches lvis for NumPy 2)
from mmcausal.models import TDEShared2FCBBoxHead

CONFIG = osp.join(REPO, 'configs', 'lvis_mini',
                  'deconfound-tde_cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py')
NUM_CLASSES = 20
SIZE = 128  # the scenes are SIZE x SIZE


@pytest.fixture(scope='module')
def tiny_lvis(shared_data, cifar10_jpg_tiny, tmp_path_factory) -> dict:
    """LVIS-mini with 120 training scenes of the head category (268 training scenes; 1 f, 9 c and
    10 r categories) and each category in 1 val and 1 test scene (10 scenes each)."""
    root = str(tmp_path_factory.mktemp('lvis_mini'))
    lvis_mini = load_script('tools/dataset_converters/lvis_mini.py')
    lvis_mini.generate(osp.join(shared_data, 'fashion-mnist'), cifar10_jpg_tiny, root, head=120,
                       val_per_category=1, test_per_category=1)
    ann_file = osp.join(root, 'annotations', 'lvis_mini_test.json')
    with open(ann_file) as f:
        test = json.load(f)
    assert {c['frequency'] for c in test['categories']} == {'r', 'c', 'f'}
    return dict(root=root, ann_file=ann_file, images=test['images'],
                annotations=test['annotations'], cat_ids=[c['id'] for c in test['categories']])


@pytest.fixture(scope='module')
def lvis_config() -> Config:
    return Config.fromfile(CONFIG)


def tiny_model(config: Config) -> ConfigDict:
    """The model of the deconfound-TDE LVIS-mini config (20 classes, TDE heads with alpha=1.5
    and background exemption) with fewer proposals and RoIs."""
    model = copy.deepcopy(config.model)
    model.train_cfg.rpn.sampler.num = 32
    model.train_cfg.rpn_proposal.update(nms_pre=64, max_per_img=32)
    for stage in model.train_cfg.rcnn:
        stage.sampler.num = 16
    model.test_cfg.rpn.update(nms_pre=64, max_per_img=16)
    model.test_cfg.rcnn.max_per_img = 20
    return model


def lvis_loader(config: Config, data: dict, test_mode: bool) -> dict:
    """The config's test loader on the test scenes, or its training loader on 2 training scenes
    in a fixed order."""
    loader = copy.deepcopy(config.test_dataloader if test_mode else config.train_dataloader)
    loader.dataset.data_root = data['root'] + '/'
    if not test_mode:
        loader.dataset.indices = 2
    return dict(dataset=loader.dataset, batch_size=2, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False))


def test_one_train_iteration_and_test_step_through_the_runner(tiny_lvis, lvis_config, tmp_path):
    runner = Runner(
        model=tiny_model(lvis_config),
        work_dir=str(tmp_path),
        train_dataloader=lvis_loader(lvis_config, tiny_lvis, test_mode=False),
        train_cfg=dict(by_epoch=False, max_iters=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9)),
        test_dataloader=lvis_loader(lvis_config, tiny_lvis, test_mode=True),
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
        foreground = stage_labels < NUM_CLASSES
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
        head.fc_cls.direction.vector.copy_(torch.rand(head.fc_out_channels))
    stage_scores = []
    for head in heads:
        head.register_forward_hook(lambda module, args, out: stage_scores.append(out[0]))
    proposals = torch.tensor([[4., 4., 40., 40.], [30., 20., 90., 60.], [0., 0., 64., 64.]])
    meta = dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE), scale_factor=(1., 1.))

    with torch.no_grad():
        x = model.extract_feat(torch.randn(1, 3, SIZE, SIZE))
        result, = model.roi_head.predict_bbox(x, [meta], [InstanceData(bboxes=proposals)],
                                              rcnn_test_cfg=None)

    assert len(stage_scores) == 3
    for scores in stage_scores:
        assert torch.allclose(scores.sum(dim=1), torch.ones(3), atol=1e-6)
    assert torch.allclose(result.scores, sum(stage_scores) / 3, atol=1e-6)


def test_lvis_metric_gives_ap_1_on_perfect_predictions(tiny_lvis):
    """Each object of the test scenes is detected once, perfectly, with score 1: precision is 1
    at every recall threshold, so every category's AP is 1, and so is every mean over
    categories (AP, APr, APc, APf)."""
    metric = LVISMetric(ann_file=tiny_lvis['ann_file'], metric=['bbox', 'segm'])
    metric.dataset_meta = dict(classes=tuple(str(i) for i in tiny_lvis['cat_ids']))
    label_of = {cat_id: label for label, cat_id in enumerate(tiny_lvis['cat_ids'])}
    samples = []
    for image in tiny_lvis['images']:
        anns = [a for a in tiny_lvis['annotations'] if a['image_id'] == image['id']]
        masks = [mask_utils.decode(a['segmentation']) for a in anns]
        pred = dict(
            bboxes=torch.tensor([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)],
                                dtype=torch.float),
            scores=torch.ones(len(anns)),
            labels=torch.tensor([label_of[a['category_id']] for a in anns]),
            masks=torch.from_numpy(np.stack(masks)).bool())
        samples.append(dict(img_id=image['id'], ori_shape=(SIZE, SIZE), pred_instances=pred))
    metric.process({}, copy.deepcopy(samples))

    results = metric.evaluate(size=len(samples))

    for metric_name in ('bbox', 'segm'):
        for item in ('AP', 'APr', 'APc', 'APf'):
            assert results[f'lvis/{metric_name}_{item}'] == 1.0


def test_train_and_test_tools_run_the_lvis_config(tiny_lvis, lvis_config, tmp_path):
    """tools/train.py and tools/test.py on the LVIS-mini config, shrunk to the tiny model/data."""
    cfg = copy.deepcopy(lvis_config)
    cfg.model = tiny_model(lvis_config)
    cfg.train_dataloader = lvis_loader(lvis_config, tiny_lvis, test_mode=False)
    cfg.test_dataloader = lvis_loader(lvis_config, tiny_lvis, test_mode=True)
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


def test_detection_outcomes_tool_counts_every_test_object_per_group(tiny_lvis, lvis_config,
                                                                    tmp_path):
    """tools/analysis/detection_outcomes.py on the test scenes with an untrained detector (head
    directions drawn at random): every object counted once in its LVIS group, at each alpha; an
    object detected with its category is found; the JSON holds what it returns."""
    cfg = copy.deepcopy(lvis_config)
    cfg.model = tiny_model(lvis_config)
    cfg.test_dataloader = lvis_loader(lvis_config, tiny_lvis, test_mode=True)
    config_file, checkpoint = str(tmp_path / 'tiny_lvis.py'), str(tmp_path / 'model.pth')
    cfg.dump(config_file)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    for head in model.roi_head.bbox_head:
        head.fc_cls.direction.vector.copy_(torch.rand(head.fc_out_channels))
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    tool = load_script('tools/analysis/detection_outcomes.py')

    rates = tool.main([config_file, checkpoint, '--alphas', '0', '1.5', '--out',
                       str(tmp_path / 'outcomes.json')])

    frequency = {c['id']: c['frequency'] for c in json.load(open(tiny_lvis['ann_file']))[
        'categories']}
    groups = [frequency[a['category_id']] for a in tiny_lvis['annotations']]
    assert list(rates) == ['alpha=0', 'alpha=1.5']
    for shares in rates.values():
        assert shares['objects'] == {group: groups.count(group) for group in 'rcf'}
        for group in 'rcf':
            assert 0 <= shares['detected'][group] <= shares['found'][group] <= 100
    with open(tmp_path / 'outcomes.json') as f:
        assert json.load(f)['rates'] == json.loads(json.dumps(rates))
    with pytest.raises(ValueError, match=r'bbox_head\[0\] is Shared2FCBBoxHead, without TDE'):
        tool.main([osp.join(REPO, 'configs', 'lvis_mini', 'linear_cascade-mask-rcnn_r18-w16_fpn_'
                            '1xb4-onecycle-4e_lvis-mini.py'), checkpoint, '--alphas', '1'])


def test_detection_outcomes_tool_reads_seesaw_scores(tiny_lvis, tmp_path):
    """The tool on the Seesaw-loss row (class and objectness channels, read through the loss's
    activation as mmdet's predict_by_feat does), untrained: every test object counted once."""
    config = Config.fromfile(osp.join(REPO, 'configs', 'lvis_mini', 'seesaw_cascade-mask-rcnn_'
                                      'r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py'))
    config.model = tiny_model(config)
    config.test_dataloader = lvis_loader(config, tiny_lvis, test_mode=True)
    config_file, checkpoint = str(tmp_path / 'tiny_seesaw.py'), str(tmp_path / 'model.pth')
    config.dump(config_file)
    torch.manual_seed(0)
    torch.save(dict(state_dict=MODELS.build(config.model).state_dict()), checkpoint)

    rates = load_script('tools/analysis/detection_outcomes.py').main([config_file, checkpoint])

    groups = [c['frequency'] for c in json.load(open(tiny_lvis['ann_file']))['categories']
              for a in tiny_lvis['annotations'] if a['category_id'] == c['id']]
    assert list(rates) == ['model']
    assert rates['model']['objects'] == {group: groups.count(group) for group in 'rcf'}
    for group in 'rcf':
        assert rates['model']['classified'][group] <= rates['model']['top5'][group]
