"""mmcausal.visualization.detections: the scenes it picks, the instances it upscales, and a
picture of real LVIS-mini test scenes with the ground truth and two detectors' columns."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from _checkout import REPO
from _tools import load_script
from mmdet.registry import DATASETS, MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from PIL import Image

import mmcausal  # noqa: F401  (registers the TDE heads)
from mmcausal.visualization.detections import draw_scenes, scenes_with, upscaled

CONFIG = osp.join(REPO, 'configs', 'lvis_mini',
                  '{row}_cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini.py')


def test_upscaled_scales_boxes_and_masks_nearest_neighbour():
    sample = DetDataSample()
    mask = np.array([[[1, 0], [0, 1]]], dtype=np.uint8)
    sample.gt_instances = InstanceData(bboxes=HorizontalBoxes(torch.tensor([[1., 2., 3., 4.]])),
                                       labels=torch.tensor([5]),
                                       masks=BitmapMasks(mask, 2, 2))
    drawn = upscaled(sample, 'gt_instances', 3).gt_instances
    assert drawn.bboxes.tolist() == [[3., 6., 9., 12.]]
    block = np.ones((3, 3), dtype=np.uint8)
    assert torch.equal(drawn.masks[0], torch.from_numpy(np.kron(mask[0], block)))
    assert drawn.labels.tolist() == [5]


@pytest.fixture(scope='module')
def tiny_lvis_mini(shared_data, cifar10_jpg_tiny, tmp_path_factory) -> str:
    """34 training scenes (every category rare), each category in 1 test scene."""
    root = str(tmp_path_factory.mktemp('lvis_mini'))
    load_script('tools/dataset_converters/lvis_mini.py').generate(
        osp.join(shared_data, 'fashion-mnist'), cifar10_jpg_tiny, root, head=8,
        val_per_category=1, test_per_category=1)
    return root


def test_draws_the_first_scenes_with_a_category_in_a_grid(tiny_lvis_mini, tmp_path):
    init_default_scope('mmdet')
    cfg = Config.fromfile(CONFIG.format(row='deconfound-tde'))
    cfg.test_dataloader.dataset.data_root = tiny_lvis_mini + '/'
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    with open(osp.join(tiny_lvis_mini, 'annotations', 'lvis_mini_test.json')) as f:
        test = json.load(f)
    # label 19 is category id 20; the scenes holding it, in image order
    holding = sorted({a['image_id'] for a in test['annotations'] if a['category_id'] == 20})
    ids = [dataset.get_data_info(index)['img_id'] for index in range(len(dataset))]
    assert [ids[index] for index in scenes_with(dataset, [19], 5)] == holding[:5]
    assert scenes_with(dataset, [], 5) == []

    torch.manual_seed(0)
    models = {}
    for title, row in (('linear', 'linear'), ('de-confound', 'deconfound')):
        model_cfg = Config.fromfile(CONFIG.format(row=row)).model
        model_cfg.test_cfg.rcnn.max_per_img = 5
        models[title] = MODELS.build(model_cfg).eval()
    out_file = str(tmp_path / 'scenes.png')
    draw_scenes(dataset, [0, 1], models, ['r'] * 20, out_file, score_thr=0.0)
    # 3 columns (ground truth, linear, de-confound) and 2 rows of 128 x 128 scenes upscaled 3x
    assert Image.open(out_file).size == (3 * 384, 2 * 384)
