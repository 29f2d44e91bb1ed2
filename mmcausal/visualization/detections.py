"""Test scenes with their ground truth and the detections of several models, side by side
(mmdet's ``DetLocalVisualizer``; import from this module, as it needs mmdet)."""
from typing import Dict, List, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import BaseBoxes
from mmengine.dataset import pseudo_collate
from torch import nn
from torch.utils.data import Dataset

# LVIS frequency group -> its colour (RGB) and name in the pictures.
GROUP_COLORS = {'r': (220, 20, 60), 'c': (255, 165, 0), 'f': (30, 144, 255)}
GROUP_NAMES = {'r': 'rare', 'c': 'common', 'f': 'frequent'}
DPI = 100


def scenes_with(dataset: Dataset, categories: Sequence[int], count: int) -> List[int]:
    """The indices of the first ``count`` scenes of ``dataset`` (mmdet's ``BaseDetDataset``) whose
    ground truth holds one of ``categories`` (label indices), in the dataset's order."""
    wanted = set(categories)
    found = [index for index in range(len(dataset))
             if wanted & {instance['bbox_label']
                          for instance in dataset.get_data_info(index)['instances']}]
    return found[:count]


def upscaled(sample: DetDataSample, field: str, scale: int) -> DetDataSample:
    """``sample`` with the boxes and masks of ``field`` (``gt_instances``, ``pred_instances``)
    ``scale`` times larger, nearest-neighbour, to draw on an image upscaled alike; the boxes as
    an array of shape (N, 4), the masks a tensor of shape (N, scale * H, scale * W)."""
    instances = sample.get(field).clone()
    bboxes = instances.bboxes
    # as a NumPy array: DetLocalVisualizer passes the boxes' areas to np.clip
    instances.bboxes = ((bboxes.tensor if isinstance(bboxes, BaseBoxes) else bboxes)
                        * scale).numpy()
    masks = instances.masks
    if not isinstance(masks, torch.Tensor):  # BitmapMasks of the ground truth
        masks = torch.from_numpy(masks.to_ndarray())
    instances.masks = masks.repeat_interleave(scale, 1).repeat_interleave(scale, 2)
    drawn = DetDataSample()
    drawn.set_field(instances, field)
    return drawn


def draw_scenes(dataset: Dataset, indices: Sequence[int], models: Dict[str, nn.Module],
                frequency: Sequence[str], out_file: str, score_thr: float = 0.3,
                scale: int = 3) -> None:
    """A picture of ``dataset``'s scenes ``indices`` (one row each): the ground truth, then the
    detections of each model of ``models`` (title -> detector in eval mode) above
    ``score_thr``, drawn by mmdet's ``DetLocalVisualizer`` on the scene upscaled ``scale``
    times (the figure has the upscaled scenes' size). Boxes, masks and names take the colour of
    their category's LVIS group (``frequency[label]``, ``'r'``, ``'c'`` or ``'f'``: rare red,
    common orange, frequent blue), and each name carries its group's letter.

    Args:
        dataset (Dataset): A test dataset whose pipeline loads the annotations (boxes and masks)
            and packs the image with ``PackDetInputs`` at the size the models take.
        indices (Sequence[int]): The scenes to draw.
        models (dict[str, nn.Module]): Detectors, by the column title.
        frequency (Sequence[str]): The LVIS group of each category, shape (num_classes,).
        out_file (str): The PNG to write.
    """
    classes = [f'{name} ({group})' for name, group in
               zip(dataset.metainfo['classes'], frequency)]
    palette = [GROUP_COLORS[group] for group in frequency]
    visualizer = VISUALIZERS.build(dict(type='DetLocalVisualizer', name='scenes',
                                        text_color=palette, line_width=2))
    visualizer.dataset_meta = dict(classes=classes, palette=palette)
    titles = ['ground truth', *models]
    items = [dataset[index] for index in indices]
    height, width = (side * scale / DPI for side in items[0]['inputs'].shape[-2:])
    figure = Figure(figsize=(width * len(titles), height * len(indices)))
    axes = figure.subplots(len(indices), len(titles), squeeze=False)
    for row, item in enumerate(items):
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # BGR CHW -> RGB HWC
        image = np.ascontiguousarray(image.repeat(scale, 0).repeat(scale, 1))
        panels = [upscaled(item['data_samples'], 'gt_instances', scale)]
        for model in models.values():
            with torch.no_grad():
                prediction = model.test_step(pseudo_collate([item]))[0]
            panels.append(upscaled(prediction, 'pred_instances', scale))
        for column, (title, panel) in enumerate(zip(titles, panels)):
            visualizer.add_datasample(title, image, data_sample=panel, draw_gt=column == 0,
                                      draw_pred=column > 0, pred_score_thr=score_thr)
            axes[row, column].imshow(visualizer.get_image())
            axes[row, column].set_axis_off()
            if row == 0:
                axes[row, column].set_title(title, fontsize=10)
    legend = ', '.join(f'{GROUP_NAMES[group]} ({group}) {name}'
                       for group, name in zip('rcf', ('red', 'orange', 'blue')))
    figure.suptitle(f'Categories by training images: {legend}; detections with score >= '
                    f'{score_thr:g}', fontsize=9)
    figure.tight_layout()
    figure.savefig(out_file, dpi=DPI)
