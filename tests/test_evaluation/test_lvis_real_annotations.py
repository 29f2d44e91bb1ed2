"""LVIS evaluation (mmdet's ``LVISMetric``, lvis patched by mmcausal) on the REAL annotations of
``lvis_v0.5_val_100.json`` (100 val images, 977 instances of 190 categories, with negative and
not-exhaustive category lists), its ground truth turned into predictions.

A perfect prediction scores AP 1. LVIS is federated: a detection of category c counts only on
images where c is annotated, positive or in ``neg_category_ids``, and an unmatched detection on
an image listing c in ``not_exhaustive_category_ids`` is ignored. So one false positive scored
above everything lowers c's AP from 1 to n / (n + 1) (n instances of c: the precision is
k / (k + 1) at recall k / n, and LVIS takes the best precision at recall >= r) on a negative
image, and changes nothing on a not-exhaustive image or an image that does not list c. The
metric reports 3 decimals. The last test produces the perfect prediction with
``TDEShared2FCBBoxHead``: its probabilities (Eq. 9) and ``predict_by_feat`` output.
"""
import copy
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from _checkout import REPO
from mmdet.evaluation import LVISMetric
from mmdet.registry import MODELS
from mmengine.config import Config

import mmcausal  # noqa: F401  (registers the head; patches lvis for NumPy 2)

CONFIG = osp.join(REPO, 'configs', 'lvis',
                  'deconfound-tde_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py')
ITEMS = ('AP', 'AP50', 'AP75', 'APr', 'APc', 'APf')


@pytest.fixture(scope='module')
def lvis(shared_data) -> dict:
    """The annotation file: its path, and its images, annotations and categories."""
    ann_file = osp.join(shared_data, 'lvis', 'lvis_v0.5_val_100.json')
    with open(ann_file) as f:
        dataset = json.load(f)
    assert (len(dataset['images']), len(dataset['annotations'])) == (100, 977)
    return dict(dataset, ann_file=ann_file)


def label_of(lvis: dict) -> Dict[int, int]:
    """Category id -> label, the index of the category in the file (``LVIS.get_cat_ids()``)."""
    return {category['id']: label for label, category in enumerate(lvis['categories'])}


def annotations_of(lvis: dict, image_id: int) -> List[dict]:
    return [ann for ann in lvis['annotations'] if ann['image_id'] == image_id]


def xyxy(bbox: List[float]) -> List[float]:
    x, y, w, h = bbox
    return [x, y, x + w, y + h]


def mask_of(ann: dict, image: dict) -> np.ndarray:
    """The polygon mask (H, W) of an annotation, as LVIS rasterizes it."""
    rles = mask_utils.frPyObjects(ann['segmentation'], image['height'], image['width'])
    return mask_utils.decode(mask_utils.merge(rles))


def ground_truth_samples(lvis: dict) -> List[dict]:
    """One sample per image in the format of ``LVISMetric.process``: every instance predicted
    with its own box, mask and category, score 1."""
    labels = label_of(lvis)
    samples = []
    for image in lvis['images']:
        anns = annotations_of(lvis, image['id'])
        size = (image['height'], image['width'])
        pred = dict(bboxes=torch.tensor([xyxy(a['bbox']) for a in anns]).reshape(-1, 4),
                    scores=torch.ones(len(anns)),
                    labels=torch.tensor([labels[a['category_id']] for a in anns], dtype=torch.long),
                    masks=torch.from_numpy(np.stack([mask_of(a, image) for a in anns])
                                           if anns else np.zeros((0, *size), np.uint8)).bool())
        samples.append(dict(img_id=image['id'], ori_shape=size, pred_instances=pred))
    return samples


def evaluate(lvis: dict, samples: List[dict], metric: Tuple[str, ...]) -> Dict[str, float]:
    """``LVISMetric(ann_file, metric)`` over ``samples``: its ``lvis/{metric}_{item}`` values."""
    evaluator = LVISMetric(ann_file=lvis['ann_file'], metric=list(metric))
    evaluator.dataset_meta = dict(classes=tuple(c['name'] for c in lvis['categories']))
    evaluator.process({}, copy.deepcopy(samples))
    return evaluator.evaluate(size=len(samples))


def rare_category(lvis: dict) -> int:
    """The one rare category of the file with ground truth."""
    rare, = {ann['category_id'] for ann in lvis['annotations']} & {
        c['id'] for c in lvis['categories'] if c['frequency'] == 'r'}
    return rare


def expected(lvis: dict, ap_of: Optional[Dict[int, float]] = None) -> Dict[str, float]:
    """AP, AP50, AP75 and APr/c/f (3 decimals) when every category with ground truth has AP 1
    at every IoU threshold except those of ``ap_of`` (category id -> AP)."""
    frequency = {c['id']: c['frequency'] for c in lvis['categories']}
    annotated = sorted({ann['category_id'] for ann in lvis['annotations']})

    def mean(ids: List[int]) -> float:
        return round(float(np.mean([(ap_of or {}).get(i, 1.0) for i in ids])), 3)

    overall = mean(annotated)
    return dict(AP=overall, AP50=overall, AP75=overall,
                **{f'AP{group}': mean([i for i in annotated if frequency[i] == group])
                   for group in 'rcf'})


@pytest.fixture(scope='module')
def perfect(lvis) -> List[dict]:
    return ground_truth_samples(lvis)


def test_the_files_categories_and_masks(lvis, perfect):
    """190 categories have ground truth: 1 rare, 30 common, 159 frequent."""
    frequency = {c['id']: c['frequency'] for c in lvis['categories']}
    annotated = {ann['category_id'] for ann in lvis['annotations']}
    assert sorted(frequency[i] for i in annotated) == ['c'] * 30 + ['f'] * 159 + ['r']
    # an empty mask would have IoU 0 with itself
    assert all(sample['pred_instances']['masks'].flatten(1).any(1).all() for sample in perfect)


def test_ground_truth_as_predictions_scores_ap_1(lvis, perfect):
    results = evaluate(lvis, perfect, ('bbox', 'segm'))
    for metric in ('bbox', 'segm'):
        assert {item: results[f'lvis/{metric}_{item}'] for item in ITEMS} == \
            {item: 1.0 for item in ITEMS}, metric


def with_false_positive(lvis: dict, samples: List[dict], category: int,
                        image_id: int) -> List[dict]:
    """``samples`` plus a 4x4 detection of ``category`` on ``image_id``, score 2 (above every
    other), away from that category's ground truth boxes there (IoU 0)."""
    image = next(image for image in lvis['images'] if image['id'] == image_id)
    boxes = [xyxy(a['bbox']) for a in annotations_of(lvis, image_id)
             if a['category_id'] == category]
    corners = [(0, 0), (image['width'] - 4, 0), (0, image['height'] - 4),
               (image['width'] - 4, image['height'] - 4)]
    x, y = next((x, y) for x, y in corners if all(
        x + 4 <= x1 or x >= x2 or y + 4 <= y1 or y >= y2 for x1, y1, x2, y2 in boxes))
    samples = copy.deepcopy(samples)
    pred = next(s for s in samples if s['img_id'] == image_id)['pred_instances']
    mask = torch.zeros(1, image['height'], image['width'], dtype=torch.bool)
    mask[0, y:y + 4, x:x + 4] = True
    pred['bboxes'] = torch.cat([pred['bboxes'], torch.tensor([[x, y, x + 4., y + 4.]])])
    pred['scores'] = torch.cat([pred['scores'], torch.tensor([2.0])])
    pred['labels'] = torch.cat([pred['labels'], torch.tensor([label_of(lvis)[category]])])
    pred['masks'] = torch.cat([pred['masks'], mask])
    return samples


def test_false_positive_on_a_negative_image_lowers_ap_to_n_over_n_plus_1(lvis, perfect):
    """The file's one rare category with ground truth, n instances, detected on an image that
    lists it as negative: APr = n / (n + 1)."""
    rare = rare_category(lvis)
    n = sum(ann['category_id'] == rare for ann in lvis['annotations'])
    negative = next(image['id'] for image in lvis['images']
                    if rare in image['neg_category_ids'])

    results = evaluate(lvis, with_false_positive(lvis, perfect, rare, negative), ('bbox', 'segm'))

    values = expected(lvis, {rare: n / (n + 1)})
    assert values['APr'] == round(n / (n + 1), 3) and values['AP'] < 1
    for metric in ('bbox', 'segm'):
        assert {item: results[f'lvis/{metric}_{item}'] for item in ITEMS} == values, metric


def test_false_positives_the_lists_exempt_change_nothing(lvis, perfect):
    """A detection of a category on an image listing it as not exhaustively annotated (where it
    has ground truth), and one of the rare category on an image that does not list it."""
    rare = rare_category(lvis)
    positive = {(ann['image_id'], ann['category_id']) for ann in lvis['annotations']}
    image_id, category = next((image['id'], c) for image in lvis['images']
                              for c in image['not_exhaustive_category_ids']
                              if (image['id'], c) in positive)
    unlisted = next(image['id'] for image in lvis['images']
                    if rare not in image['neg_category_ids'] and (image['id'], rare) not in
                    positive)
    samples = with_false_positive(lvis, perfect, category, image_id)
    samples = with_false_positive(lvis, samples, rare, unlisted)

    results = evaluate(lvis, samples, ('bbox', ))

    assert {item: results[f'lvis/bbox_{item}'] for item in ITEMS} == {item: 1.0 for item in ITEMS}


def test_tde_cascade_head_output_of_the_ground_truth_scores_ap_1(lvis):
    """The deconfound-TDE LVIS v0.5 head (1230 classes, alpha 1.5, background exempted, a random
    head direction) scores RoIs at the ground truth boxes whose shared features are their
    class's classifier weight; its ``predict_by_feat`` (the config's score threshold and
    ``max_per_img``) gives the metric's input. NMS merges boxes of one class above IoU 0.9, not
    the configs' 0.5: the file's boxes of one category overlap by up to 0.867."""
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    head = MODELS.build(cfg.model.roi_head.bbox_head[-1]).eval()
    assert head.fc_cls.alpha == 1.5 and head.background_exempted
    head.fc_cls.direction.vector.copy_(torch.randn(head.fc_cls.direction.vector.shape))
    rcnn_test_cfg = copy.deepcopy(cfg.model.test_cfg.rcnn)
    rcnn_test_cfg.nms.iou_threshold = 0.9
    labels = label_of(lvis)
    samples = []
    with torch.no_grad():
        for image in lvis['images']:
            anns = annotations_of(lvis, image['id'])
            rois = torch.tensor([[0., *xyxy(a['bbox'])] for a in anns]).reshape(-1, 5)
            gt_labels = torch.tensor([labels[a['category_id']] for a in anns], dtype=torch.long)
            probabilities = head.fc_cls(head.fc_cls.weight[gt_labels])
            assert torch.equal(probabilities.argmax(dim=1), gt_labels)
            size = (image['height'], image['width'])
            result, = head.predict_by_feat(
                rois=(rois, ), cls_scores=(probabilities, ),
                bbox_preds=(torch.zeros(len(anns), 4), ),
                batch_img_metas=[dict(img_shape=size, scale_factor=(1.0, 1.0))],
                rcnn_test_cfg=rcnn_test_cfg)
            samples.append(dict(img_id=image['id'], ori_shape=size,
                                pred_instances=result.to_dict()))

    results = evaluate(lvis, samples, ('bbox', ))

    assert {item: results[f'lvis/bbox_{item}'] for item in ITEMS} == {item: 1.0 for item in ITEMS}
