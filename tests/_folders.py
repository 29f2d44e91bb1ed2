"""Long-tailed class folders of tiny generated images, in the layout of docs/own_data.md.

Imported by the test files as ``from _folders import ...`` (pytest puts ``tests/`` on the path).
"""
from pathlib import Path
from typing import Dict, Sequence

import numpy as np
from PIL import Image

CLASSES = ('ant', 'bee', 'cat', 'dog')
# Images per class: with many_shot_thr=4, few_shot_thr=2 (THRESHOLDS) the training classes are
# many (ant 7, bee 5), medium (cat 3) and few (dog 1); by the test counts they would not be.
SPLITS = {'train': (7, 5, 3, 1), 'val': (1, 1, 1, 1), 'test': (2, 1, 1, 2)}
THRESHOLDS = dict(many_shot_thr=4, few_shot_thr=2)


def make_folders(root: Path, splits: Dict[str, Sequence[int]] = SPLITS,
                 classes: Sequence[str] = CLASSES) -> Path:
    """``root/<split>/<class>/<i>.png``: ``splits[split][c]`` 8x8 RGB images of class ``c``,
    each a different flat colour; returns ``root``."""
    for split, counts in splits.items():
        for c, (name, count) in enumerate(zip(classes, counts)):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixel = np.array([40 * c, 20 * i, 255 - 40 * c], dtype=np.uint8)
                Image.fromarray(np.tile(pixel, (8, 8, 1))).save(folder / f'{i}.png')
    return root


def folder_dataset(root: Path, split: str, pipeline: Sequence[dict] = ()) -> dict:
    """An mmpretrain CustomDataset config over ``root/split``."""
    return dict(type='CustomDataset', data_root=str(root), data_prefix=split,
                pipeline=list(pipeline))
