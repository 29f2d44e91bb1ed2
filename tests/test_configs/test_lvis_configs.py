"""Every LVIS config of configs/lvis and configs/lvis_mini: loads, holds the paper's settings,
builds.

The file name states the row (``{classifier}[-tde[-no-exemption]]_cascade-mask-rcnn_{backbone}
_fpn_{schedule}_lvis-{version}``), and each config is checked against it and against the paper
(Sec. 5, Tables 4, 5 and 9); the LVIS-mini rows (the CPU benchmark, version ``mini``) against
the settings of their own bases. Models are built on the meta device: every constructor runs, no
memory or random initialization is spent on 1231-class R101 heads.
"""
import functools
import glob
import os.path as osp
import re

import mmengine.config.utils
import pytest
import torch
from _config_names import CONFIGS, config_id, name_parser
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmcausal  # noqa: F401  (registers TDEShared2FCBBoxHead and HeadDirectionHook)
from mmcausal.models import TDEShared2FCBBoxHead

LVIS_CONFIGS = sorted(glob.glob(osp.join(CONFIGS, 'lvis', '*.py')))
LVIS_MINI_CONFIGS = sorted(glob.glob(osp.join(CONFIGS, 'lvis_mini', '*.py')))
NAME = re.compile(r'(?P<classifier>linear|cosine|capsule|deconfound|seesaw)(?P<tde>-tde)?'
                  r'(?P<no_exemption>-no-exemption)?_cascade-mask-rcnn_'
                  r'(?P<backbone>r50|r101|x101-64x4d|r18-w16)_fpn_'
                  r'(?P<schedule>8xb2-20e|1xb4-onecycle-4e)_lvis-(?P<version>v0\.5|v1|mini)\.py$')
parse_name = name_parser(NAME)
VERSIONS = {'v0.5': ('LVISV05Dataset', 1230), 'v1': ('LVISV1Dataset', 1203),
            'mini': ('LVISV05Dataset', 20)}
BACKBONES = {'r50': ('ResNet', 50), 'r101': ('ResNet', 101), 'x101-64x4d': ('ResNeXt', 101),
             'r18-w16': ('ResNet', 18)}
# LVIS-mini's categories, in the order of tools/dataset_converters/lvis_mini.py
LVIS_MINI_CLASSES = tuple(name for k, fashion in enumerate(
    ('t-shirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag',
     'ankle_boot')) for name in (fashion, f'digit_{k}'))
# Paper target_stds of the three Cascade R-CNN stages (mmdet's cascade base).
STAGE_STDS = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]


@pytest.fixture(scope='module', autouse=True)
def read_mmdet_metafiles_once():
    """mmengine re-reads all of mmdet's ~100 metafiles for every ``mmdet::`` base (about 1 s
    each, four per config); read each file once, as it does not change during the tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine.config.utils, 'load',
                      functools.lru_cache(maxsize=None)(mmengine.config.utils.load))
        yield


def test_every_paper_row_has_a_config():
    rows = {(row['version'], row['backbone'], row['classifier'], bool(row['tde']),
             bool(row['no_exemption'])) for row in map(parse_name, LVIS_CONFIGS)}
    table4_v05 = [(classifier, tde, False) for classifier in ('cosine', 'capsule', 'deconfound')
                  for tde in (False, True)] + [('linear', False, False)]
    main_rows = [('linear', False, False), ('deconfound', False, False),
                 ('deconfound', True, False)]
    expected = {('v0.5', 'r101', *row) for row in table4_v05}
    expected |= {('v0.5', 'r101', 'deconfound', True, True)}  # Table 5, no exemption
    expected |= {('v1', 'r101', *row) for row in main_rows}  # Table 4, LVIS v1.0
    expected |= {('v0.5', 'x101-64x4d', *row) for row in main_rows}  # Table 9
    expected |= {(version, 'r50', *row) for version in ('v0.5', 'v1') for row in main_rows}
    assert rows == expected and len(LVIS_CONFIGS) == len(expected)


def test_every_lvis_mini_row_has_a_config():
    """The CPU benchmark's rows: linear, de-confound, its TDE with and without background
    exemption, and mmdet's Seesaw loss, all of one backbone and schedule."""
    rows = {(row['classifier'], bool(row['tde']), bool(row['no_exemption']), row['backbone'],
             row['schedule']) for row in map(parse_name, LVIS_MINI_CONFIGS)}
    expected = {('linear', False, False), ('deconfound', False, False), ('deconfound', True, False),
                ('deconfound', True, True), ('seesaw', False, False)}
    assert rows == {(*row, 'r18-w16', '1xb4-onecycle-4e') for row in expected}
    assert len(LVIS_MINI_CONFIGS) == len(expected)


@pytest.mark.parametrize('path', LVIS_CONFIGS + LVIS_MINI_CONFIGS, ids=config_id)
def test_config(path):
    row = parse_name(path)
    dataset_type, num_classes = VERSIONS[row['version']]
    cfg = Config.fromfile(path)

    assert cfg.custom_imports == dict(imports=['mmcausal'], allow_failed_imports=False)
    backbone = cfg.model.backbone
    assert (backbone.type, backbone.depth) == BACKBONES[row['backbone']]
    if row['version'] == 'mini':  # from scratch: nothing frozen, nothing pretrained
        assert (backbone.base_channels, backbone.frozen_stages, backbone.norm_eval,
                backbone.init_cfg) == (16, -1, False, None)
    check_heads(cfg, row, num_classes)
    check_data(cfg, dataset_type, row['version'])
    check_schedule(cfg, row['version'])
    check_build(cfg, row, num_classes)


def check_heads(cfg: Config, row: dict, num_classes: int) -> None:
    heads = cfg.model.roi_head.bbox_head
    assert [head.bbox_coder.target_stds for head in heads] == STAGE_STDS
    assert all(head.num_classes == num_classes for head in heads)
    assert cfg.model.roi_head.mask_head.num_classes == num_classes
    # LVIS keeps up to 300 detections per image; LVIS-mini's scenes hold at most 4 objects
    max_per_img = 100 if row['version'] == 'mini' else 300
    assert (cfg.model.test_cfg.rcnn.max_per_img, cfg.model.test_cfg.rcnn.score_thr) == \
        (max_per_img, 1e-4)
    if row['classifier'] in ('linear', 'seesaw'):
        assert {head.type for head in heads} == {'Shared2FCBBoxHead'}
        assert 'custom_hooks' not in cfg
        if row['classifier'] == 'seesaw':  # mmdet's Seesaw LVIS config, p=0.8, q=2
            for head in heads:
                assert head.cls_predictor_cfg == dict(type='NormedLinear', tempearture=20)
                assert head.loss_cls == dict(type='SeesawLoss', p=0.8, q=2.0,
                                             num_classes=num_classes, loss_weight=1.0)
        return
    assert [hook.type for hook in cfg.custom_hooks] == ['HeadDirectionHook']
    for head in heads:
        assert head.type == 'TDEShared2FCBBoxHead'
        assert head.classifier == row['classifier']
        assert (head.num_heads, head.tau, head.gamma) == (2, 16.0, 1 / 32)
        assert head.alpha == (1.5 if row['tde'] else 0.0)
        assert head.background_exempted == (not row['no_exemption'])


def check_data(cfg: Config, dataset_type: str, version: str) -> None:
    train, val, test = (cfg[f'{split}_dataloader'] for split in ('train', 'val', 'test'))
    # The natural long-tailed distribution: no repeat-factor re-sampling wrapper.
    assert [loader.dataset.type for loader in (train, val, test)] == [dataset_type] * 3
    if version == 'mini':  # 1 CPU process x 4 scenes of 128x128, tested on its own test split
        assert train.batch_size == 4 and cfg.auto_scale_lr.base_batch_size == 4
        assert all(loader.dataset.metainfo.classes == LVIS_MINI_CLASSES
                   for loader in (train, val, test))
        assert osp.basename(test.dataset.ann_file) == 'lvis_mini_test.json'
        assert [step.scale for loader in (train, test) for step in loader.dataset.pipeline
                if step.type == 'Resize'] == [(128, 128)] * 2
    else:
        assert train.batch_size == 2 and cfg.auto_scale_lr.base_batch_size == 16  # 8 GPUs x 2
        assert test == val
    annotations = {'v0.5': 'lvis_v0.5_{}.json', 'v1': 'lvis_v1_{}.json',
                   'mini': 'lvis_mini_{}.json'}[version]
    assert osp.basename(train.dataset.ann_file) == annotations.format('train')
    assert osp.basename(val.dataset.ann_file) == annotations.format('val')
    for loader, evaluator in ((val, cfg.val_evaluator), (test, cfg.test_evaluator)):
        assert evaluator.type == 'LVISMetric' and evaluator.metric == ['bbox', 'segm']
        assert evaluator.ann_file == loader.dataset.data_root + loader.dataset.ann_file


def check_schedule(cfg: Config, version: str) -> None:
    optimizer = cfg.optim_wrapper.optimizer
    if version == 'mini':  # the paper's lr per image (0.02 for 16) over 4 epochs of one-cycle
        assert (optimizer.type, optimizer.lr, optimizer.momentum) == ('SGD', 0.005, 0.9)
        assert cfg.train_cfg.max_epochs == cfg.train_cfg.val_interval == 4
        one_cycle, = cfg.param_scheduler
        assert (one_cycle.type, one_cycle.eta_max, one_cycle.total_steps,
                one_cycle.convert_to_iter_based) == ('OneCycleLR', 0.005, 4, True)
        return
    assert (optimizer.type, optimizer.lr, optimizer.momentum) == ('SGD', 0.02, 0.9)
    assert cfg.train_cfg.max_epochs == 20
    decay = cfg.param_scheduler[-1]
    assert (decay.type, decay.milestones, decay.gamma) == ('MultiStepLR', [16, 19], 0.1)


def check_build(cfg: Config, row: dict, num_classes: int) -> None:
    with DefaultScope.overwrite_default_scope('mmdet'), torch.device('meta'):
        model = MODELS.build(cfg.model)
    heads = model.roi_head.bbox_head
    head_type = Shared2FCBBoxHead if row['classifier'] in ('linear', 'seesaw') else \
        TDEShared2FCBBoxHead
    assert len(heads) == 3 and all(type(head) is head_type for head in heads)
    channels = 256 if row['version'] == 'mini' else 1024
    # Seesaw adds an objectness score to the classes and the background
    outputs = num_classes + (2 if row['classifier'] == 'seesaw' else 1)
    for head in heads:
        assert head.fc_cls.weight.shape == (outputs, channels)
        if head_type is TDEShared2FCBBoxHead:
            assert head.fc_cls.variant == row['classifier']
            assert head.fc_cls.alpha == (1.5 if row['tde'] else 0.0)
