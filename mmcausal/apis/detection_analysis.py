"""Where a detector loses the objects of each LVIS frequency group: not found, or misclassified.

For every ground-truth object of a split, with the detector's own features of its image:

``found``
    a final detection of any category overlaps it (IoU >= :data:`IOU`): the object is localized;
``detected``
    a final detection of its own category overlaps it (IoU >= :data:`IOU`): what AP counts;
``classified``
    its ground-truth box, passed through the cascade as the only RoI, scores its own category
    highest among the foreground classes: the classifier given a perfect box;
``top5``
    its own category is among the :data:`TOP` highest-scoring foreground classes of that box.

They are measured once per alpha of the TDE heads (the backbone, neck and RPN run once per
image), so de-confound (alpha = 0) and TDE differ in nothing else. :func:`group_rates` gives the
share of each outcome per frequency group (``r``, ``c``, ``f``), :func:`outcome_rates` those of
a config, a checkpoint and a split; ``tools/analysis/detection_outcomes.py`` prints them and
``benchmarks/lvis_mini_cpu.py`` records them per seed.
"""
import json
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmdet.registry import DATASETS, MODELS
from mmdet.structures.bbox import bbox2roi, bbox_overlaps, get_box_tensor
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import ProgressBar
from torch import Tensor, nn

IOU = 0.5  # the overlap at which a detection covers an object (LVIS's AP50)
TOP = 5  # the ranks of ``top5``
OUTCOMES = ('found', 'detected', 'classified', 'top5')


def image_outcomes(gt_boxes: Tensor, gt_labels: Tensor, boxes: Tensor, labels: Tensor,
                   gt_scores: Tensor) -> Dict[str, np.ndarray]:
    """:data:`OUTCOMES` of the G ground-truth objects of one image (boolean arrays of length G).

    Args:
        gt_boxes (Tensor): (G, 4) ground-truth boxes, x1 y1 x2 y2.
        gt_labels (Tensor): (G,) their categories.
        boxes (Tensor): (D, 4) final detections, in the ground truth's coordinates.
        labels (Tensor): (D,) their categories.
        gt_scores (Tensor): (G, num_classes + 1) class scores of the ground-truth boxes as RoIs,
            background last.
    """
    overlaps = bbox_overlaps(gt_boxes, boxes) >= IOU  # (G, D)
    same = gt_labels[:, None] == labels[None, :]
    ranked = gt_scores[:, :-1].argsort(dim=1, descending=True)  # foreground classes, best first
    return dict(found=overlaps.any(dim=1).numpy(), detected=(overlaps & same).any(dim=1).numpy(),
                classified=(ranked[:, 0] == gt_labels).numpy(),
                top5=(ranked[:, :TOP] == gt_labels[:, None]).any(dim=1).numpy())


def check_detector(model: nn.Module, alphas: Optional[Sequence[float]]) -> None:
    """Raise if ``alphas`` are given and a stage head of ``model.roi_head`` has no TDE (is not
    ``TDEShared2FCBBoxHead``)."""
    for stage, head in enumerate(model.roi_head.bbox_head):
        if alphas is not None and not hasattr(head.fc_cls, 'alpha'):
            raise ValueError(f'roi_head.bbox_head[{stage}] is {type(head).__name__}, without TDE: '
                             'give no alphas for a detector whose heads are not '
                             'TDEShared2FCBBoxHead')


def class_scores(head: nn.Module, cls_score: Tensor) -> Tensor:
    """(N, num_classes + 1) class scores, background last, of the cascade's ``cls_score`` (its
    stage scores averaged, as ``CascadeRoIHead._refine_roi`` returns them) as the last stage
    ``head`` reads them in ``predict_by_feat``: through its loss's activation where the loss
    has its own channels (e.g. Seesaw loss: C class logits and 2 objectness logits become
    softmax(classes) * p(object) and 1 - p(object)), else as they are (logits, or the TDE
    heads' probabilities), which rank the classes as their softmax does."""
    if head.custom_cls_channels:
        return head.loss_cls.get_activation(cls_score)
    return cls_score


def setting_name(alpha: Optional[float]) -> str:
    """The key of a setting in :func:`ground_truth_outcomes`' result: ``'alpha=A'`` for the TDE
    heads at ``alpha``, ``'model'`` for the model as configured (``alpha=None``)."""
    return 'model' if alpha is None else f'alpha={alpha:g}'


@torch.no_grad()
def ground_truth_outcomes(model: nn.Module, dataset,
                          alphas: Optional[Sequence[float]] = None) -> Dict[str, dict]:
    """:data:`OUTCOMES` of every ground-truth object of ``dataset`` (an mmdet dataset with the
    test pipeline, which loads the annotations) under ``model`` (a Cascade R-CNN in eval mode).

    Returns ``{'labels': (N,) categories, 'alpha=A': {outcome: (N,) bool}}`` for each alpha of
    ``alphas`` set in the TDE heads, or ``{'labels': ..., 'model': {...}}`` for the model as
    configured with ``alphas=None`` (a detector without TDE, e.g. linear or Seesaw loss).
    Checked by :func:`check_detector`; the TDE heads keep the last alpha.
    """
    check_detector(model, alphas)
    keys = [setting_name(None)] if alphas is None else [setting_name(a) for a in alphas]
    outcomes: Dict[str, Dict[str, list]] = {key: {name: [] for name in OUTCOMES} for key in keys}
    labels = []
    progress = ProgressBar(len(dataset))
    for index in range(len(dataset)):
        batch = model.data_preprocessor(pseudo_collate([dataset[index]]), False)
        sample = batch['data_samples'][0]
        metas = [sample.metainfo]
        gt_boxes, gt_labels = get_box_tensor(sample.gt_instances.bboxes), sample.gt_instances.labels
        progress.update()
        if not len(gt_labels):  # nothing to find in this image
            continue
        labels.append(gt_labels.numpy())
        x = model.extract_feat(batch['inputs'])
        proposals = model.rpn_head.predict(x, [sample], rescale=False)
        rois = bbox2roi([gt_boxes * gt_boxes.new_tensor(sample.scale_factor).repeat(2)])
        for key, alpha in zip(keys, [None] * len(keys) if alphas is None else alphas):
            if alpha is not None:
                for head in model.roi_head.bbox_head:
                    head.fc_cls.alpha = alpha
            detections = model.roi_head.predict_bbox(x, metas, proposals,
                                                     model.roi_head.test_cfg, rescale=True)[0]
            _, (gt_scores, ), _ = model.roi_head._refine_roi(x, rois, metas, [len(gt_labels)])
            gt_scores = class_scores(model.roi_head.bbox_head[-1], gt_scores)
            for name, value in image_outcomes(gt_boxes, gt_labels, detections.bboxes,
                                              detections.labels, gt_scores).items():
                outcomes[key][name].append(value)
    return dict(labels=np.concatenate(labels), **{
        key: {name: np.concatenate(values) for name, values in measured.items()}
        for key, measured in outcomes.items()})


def group_rates(outcomes: Dict[str, np.ndarray], labels: np.ndarray,
                frequency: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """Share (%) of the objects of each frequency group with each outcome: ``{outcome: {group:
    %}}`` for the groups ``'r'``, ``'c'``, ``'f'`` that have objects (``frequency``: the group of
    each category, by label), and ``'objects'``: how many each group has."""
    groups = np.asarray(frequency)[labels]
    present = [group for group in 'rcf' if (groups == group).any()]
    rates = {name: {group: round(100 * float(outcomes[name][groups == group].mean()), 1)
                    for group in present} for name in OUTCOMES}
    rates['objects'] = {group: int((groups == group).sum()) for group in present}
    return rates


def frequency_of(dataset) -> List[str]:
    """The LVIS group (``'r'``, ``'c'``, ``'f'``) of each label of an mmdet LVIS dataset, from
    the categories of its annotation file."""
    with open(dataset.ann_file) as f:
        groups = {category['id']: category['frequency'] for category in json.load(f)['categories']}
    return [groups[category] for category in dataset.cat_ids]


def split_dataset(cfg: Config, split: str) -> dict:
    """The dataset config of ``split`` (``'train'``, ``'val'`` or ``'test'``) of an mmdet config,
    read with the test pipeline: it loads the annotations, without the training augmentation
    (and without a sampling wrapper such as ``ClassBalancedDataset``)."""
    if split != 'train':
        return cfg[f'{split}_dataloader'].dataset
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:  # a wrapper, e.g. repeat-factor sampling
        dataset = dataset.dataset
    return dict(dataset, pipeline=cfg.test_dataloader.dataset.pipeline)


def outcome_rates(cfg: Config, checkpoint: str, dataset: dict,
                  alphas: Optional[Sequence[float]] = None) -> Dict[str, dict]:
    """:func:`group_rates` of the detector of ``cfg`` with ``checkpoint`` on ``dataset`` (an
    mmdet LVIS dataset config with the test pipeline), by setting: ``'alpha=A'`` for each of
    ``alphas``, else ``'model'`` (see :func:`ground_truth_outcomes`)."""
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model).eval()
    load_checkpoint(model, checkpoint, map_location='cpu')
    check_detector(model, alphas)  # before the data is read
    dataset = DATASETS.build(dataset)
    outcomes = ground_truth_outcomes(model, dataset, alphas)
    labels, frequency = outcomes.pop('labels'), frequency_of(dataset)
    return {setting: group_rates(measured, labels, frequency)
            for setting, measured in outcomes.items()}
