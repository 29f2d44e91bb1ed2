"""LVIS-mini: a long-tailed instance segmentation set in LVIS v0.5 format, from real pixels.

    python tools/dataset_converters/lvis_mini.py --fashion-mnist DIR --backgrounds DIR \\
        --out data/lvis_mini [--head 1000] [--val-per-category 30] [--test-per-category 50] \\
        [--seed 0]

Every scene is a real photograph with real objects pasted on it, at the scale a CPU trains a
Cascade Mask R-CNN on in minutes (configs/lvis_mini/); nothing is drawn:

- **Background**: a photograph of ``--backgrounds`` (image files, searched recursively, e.g.
  CIFAR-10's training images ``train/<class>/*.png``) upscaled to 128x128 (bilinear). Each
  scene has its own photograph.
- **Objects**: 20 categories (:data:`CATEGORIES`), the 10 classes of Fashion-MNIST (the idx
  files of ``--fashion-mnist``, gzipped or not) and the 10 digits of scikit-learn's digits (8x8,
  shipped with scikit-learn), interleaved along the frequency order. An object is one real item
  of its category, resized to a square of side log-uniform in [24, 64] px (bilinear; digits
  first scaled from 0-16 to 0-255); its mask is the item's pixels above the background
  (:data:`FOREGROUND_THRESHOLD`), pasted in gray at a uniform position inside the image.
- **Occlusion**: later objects cover earlier ones and each mask keeps only its visible pixels;
  an object is placed (its size and position drawn again, up to :data:`PLACEMENT_TRIES` times)
  where every earlier object keeps at least half of its pixels, so no object is mostly hidden
  and every category planned for a scene stays in it.
- **Long tail**: category ``i`` (id ``i + 1``) is in exactly ``round(head ** (1 - i / 19))``
  training scenes (:func:`train_image_counts`): with ``--head 1000``, 1000, 695, ..., 2, 1, 1;
  by LVIS's groups of training images 7 frequent (> 100), 6 common (11-100) and 7 rare (1-10).
  Val and test are balanced: every category in exactly ``--val-per-category`` /
  ``--test-per-category`` scenes.
- **Scenes** (:func:`plan_scenes`): a split's scenes hold two categories on average, 1 to 4
  distinct ones; a scene with fewer than 4 objects gets a second instance of one of its
  categories with probability 1/4.
- **Held-out objects**: train, val and test draw their items from disjoint pools:
  Fashion-MNIST's training split less 1,000 held-out items per class (train), those held-out
  items (val) and its test split (test); each digit class split 50 / 20 / 30 % (seeded) into
  train / val / test items. Backgrounds are disjoint across the splits too.

Output, read unchanged by mmdet's ``LVISV05Dataset`` and ``LVISMetric``::

    OUT/annotations/lvis_mini_{train,val,test}.json
    OUT/{train,val,test}/{image id:06d}.png

The JSON is LVIS v0.5's: ``images`` (``neg_category_ids``: every category not in the scene,
as every scene is exhaustively annotated; ``not_exhaustive_category_ids``: ``[]``),
``annotations`` (``segmentation`` as RLE, ``bbox`` the mask's tight box, ``area`` its pixels)
and ``categories`` (``frequency`` from the training scenes in every split, ``image_count`` and
``instance_count`` of the file, ``synset`` ``{source}.{label}``, not a WordNet synset). Beyond
LVIS, each annotation names its item (``source``: ``fashion-mnist/train/123``,
``fashion-mnist/t10k/45``, ``digits/678``) and each image its photograph (``background``).

The same arguments give the same files (``--seed`` seeds every draw). ``--out`` must be empty
or absent.
"""
import argparse
import json
import os
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import pycocotools.mask as mask_utils
from mmpretrain.datasets.mnist import read_sn3_pascalvincent_tensor
from sklearn.datasets import load_digits

IMAGE_SIZE = 128
OBJECT_SIDES = (24, 64)  # px, the range of an object's square side (log-uniform)
FOREGROUND_THRESHOLD = 8  # an item's pixel is its mask where it is above this (of 255)
MIN_VISIBLE = 0.5  # the share of its pixels every object keeps when later objects cover it
PLACEMENT_TRIES = 100
MAX_PER_SCENE = 4
SWITCHES_PER_PAIR = 10
SECOND_INSTANCE_PROBABILITY = 0.25
FASHION_MNIST_VAL_PER_CLASS = 1000  # held out of Fashion-MNIST's training split for val
DIGIT_SPLIT = (0.5, 0.2)  # shares of each digit class in the train and val pools; test the rest
SPLITS = ('train', 'val', 'test')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp')
FASHION_MNIST_FILES = {split: (f'{split}-images-idx3-ubyte', f'{split}-labels-idx1-ubyte')
                       for split in ('train', 't10k')}


@dataclass(frozen=True)
class Category:
    """An object category: its items are those of ``label`` in ``source``."""
    source: str  # 'fashion-mnist' or 'digits'
    label: int
    name: str
    definition: str


FASHION_MNIST = ('t-shirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt',
                 'sneaker', 'bag', 'ankle_boot')
# In the order of training images, head first: Fashion-MNIST class k at 2k, digit k at 2k + 1.
CATEGORIES: Tuple[Category, ...] = tuple(
    category for k in range(10) for category in (
        Category('fashion-mnist', k, FASHION_MNIST[k], f'Fashion-MNIST class {k} '
                 f'({FASHION_MNIST[k]}), a 28x28 grayscale photograph of a Zalando article'),
        Category('digits', k, f'digit_{k}', f'scikit-learn digits class {k}, an 8x8 scan of a '
                 f'handwritten {k}')))


def frequency(train_images: int) -> str:
    """LVIS's group of a category with ``train_images`` training images: rare 'r' (1-10),
    common 'c' (11-100), frequent 'f' (> 100)."""
    return 'r' if train_images <= 10 else 'c' if train_images <= 100 else 'f'


def train_image_counts(head: int) -> List[int]:
    """Training scenes per category, ``round(head ** (1 - i / (C - 1)))`` for category ``i``
    of the ``C = 20``: from ``head`` down to 1, exponentially."""
    last = len(CATEGORIES) - 1
    return [round(head**(1 - i / last)) for i in range(len(CATEGORIES))]


def plan_scenes(counts: Sequence[int], rng: np.random.Generator) -> List[List[int]]:
    """The categories of each scene, in pasting order: ``sum(counts) // 2`` scenes of 1 to
    :data:`MAX_PER_SCENE` distinct categories, category ``c`` in exactly ``counts[c]`` of them,
    then a second instance of one of its categories in a scene of fewer than 4 with probability
    :data:`SECOND_INSTANCE_PROBABILITY`.

    Every scene has one slot, and the other ``sum(counts) - scenes`` slots go one by one to
    random scenes with room. Categories (in random order) take the scenes with the most room
    left, which fills every slot whenever the counts fit the slots (Gale and Ryser's
    construction); then :data:`SWITCHES_PER_PAIR` random degree-preserving switches per
    (scene, category) pair (two pairs exchange their categories where neither scene then holds
    one twice) make which categories share a scene random, not an artefact of the construction.
    """
    total = sum(counts)
    num_scenes = total // 2
    if min(counts) < 1 or max(counts) > num_scenes:
        raise ValueError(f'every category needs 1 to {num_scenes} scenes (half the {total} '
                         f'scene-category pairs), got {list(counts)}')
    sizes = np.ones(num_scenes, dtype=int)
    for _ in range(total - num_scenes):
        sizes[rng.choice(np.flatnonzero(sizes < MAX_PER_SCENE))] += 1
    room, scenes = sizes.copy(), [set() for _ in range(num_scenes)]
    for category in rng.permutation(len(counts)):
        chosen = np.lexsort((rng.random(num_scenes), -room))[:counts[category]]
        if room[chosen].min() == 0:
            raise ValueError(f'the counts {list(counts)} do not fit scenes of sizes '
                             f'{np.bincount(sizes).tolist()} (scenes per size 0, 1, ...)')
        room[chosen] -= 1
        for scene in chosen:
            scenes[scene].add(int(category))
    pairs = [(scene, category) for scene, categories in enumerate(scenes)
             for category in sorted(categories)]
    for i, j in rng.integers(len(pairs), size=(SWITCHES_PER_PAIR * len(pairs), 2)):
        (scene_i, category_i), (scene_j, category_j) = pairs[i], pairs[j]
        if category_j not in scenes[scene_i] and category_i not in scenes[scene_j]:
            scenes[scene_i] ^= {category_i, category_j}
            scenes[scene_j] ^= {category_i, category_j}
            pairs[i], pairs[j] = (scene_i, category_j), (scene_j, category_i)
    planned = []
    for categories in scenes:
        scene = sorted(categories)
        if len(scene) < MAX_PER_SCENE and rng.random() < SECOND_INSTANCE_PROBABILITY:
            scene.append(scene[rng.integers(len(scene))])
        rng.shuffle(scene)
        planned.append(scene)
    return planned


class ItemPool:
    """The items of one category in one split, drawn in seeded random order, reshuffled
    each time all are used: ``draw()`` -> (item (H, W) uint8 on 0-255, its source name)."""

    def __init__(self, items: np.ndarray, names: Sequence[str], rng: np.random.Generator):
        self.items, self.names, self.rng = items, list(names), rng
        self._order: Iterator[int] = iter(())

    def draw(self) -> Tuple[np.ndarray, str]:
        index = next(self._order, None)
        if index is None:
            self._order = iter(self.rng.permutation(len(self.items)).tolist())
            index = next(self._order)
        return self.items[index], self.names[index]


def read_fashion_mnist(folder: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) of Fashion-MNIST's ``split`` ('train' or
    't10k') from its idx files in ``folder``, gzipped or not (mmpretrain's reader)."""
    with warnings.catch_warnings():  # mmpretrain wraps the read-only buffer, only read here
        warnings.filterwarnings('ignore', message='The given NumPy array is not writable')
        images, labels = (read_sn3_pascalvincent_tensor(idx_file(folder, name)).numpy()
                          for name in FASHION_MNIST_FILES[split])
    return images, labels


def idx_file(folder: str, name: str) -> Optional[str]:
    """``folder/name`` or ``folder/name.gz``, whichever exists (None if neither)."""
    for path in (osp.join(folder, name), osp.join(folder, f'{name}.gz')):
        if osp.isfile(path):
            return path
    return None


def item_pools(fashion_mnist: str, seed: int) -> Dict[str, List[ItemPool]]:
    """Per split, the :class:`ItemPool` of each category of :data:`CATEGORIES`, disjoint across
    the splits (module docstring)."""
    rng = np.random.default_rng([seed, 0])
    by_label = {}  # (source, split, label) -> (items, names)
    for split in FASHION_MNIST_FILES:
        images, labels = read_fashion_mnist(fashion_mnist, split)
        for label in range(10):
            indices = np.flatnonzero(labels == label)
            by_label['fashion-mnist', split, label] = (
                images[indices], [f'fashion-mnist/{split}/{i}' for i in indices])
    digits = load_digits()
    digit_images = np.round(digits.images * (255 / 16)).astype(np.uint8)
    pools = {split: [] for split in SPLITS}
    for category in CATEGORIES:
        if category.source == 'fashion-mnist':
            items, names = by_label['fashion-mnist', 'train', category.label]
            held_out = rng.permutation(len(items))
            parts = {'train': held_out[FASHION_MNIST_VAL_PER_CLASS:],
                     'val': held_out[:FASHION_MNIST_VAL_PER_CLASS]}
            test_items, test_names = by_label['fashion-mnist', 't10k', category.label]
            pools['test'].append(ItemPool(test_items, test_names, rng))
        else:
            indices = rng.permutation(np.flatnonzero(digits.target == category.label))
            items, names = digit_images, [f'digits/{i}' for i in range(len(digit_images))]
            train_end = round(DIGIT_SPLIT[0] * len(indices))
            val_end = train_end + round(DIGIT_SPLIT[1] * len(indices))
            parts = {'train': indices[:train_end], 'val': indices[train_end:val_end],
                     'test': indices[val_end:]}
            pools['test'].append(ItemPool(items[parts['test']],
                                          [names[i] for i in parts['test']], rng))
        for split in ('train', 'val'):
            pools[split].append(ItemPool(items[parts[split]], [names[i] for i in parts[split]],
                                         rng))
    return pools


def background_files(folder: str) -> List[str]:
    """The image files under ``folder``, relative to it, sorted."""
    found = []
    for root, _, names in os.walk(folder):
        found += [osp.relpath(osp.join(root, name), folder) for name in names
                  if name.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


def compose(background: np.ndarray, items: Sequence[np.ndarray],
            rng: np.random.Generator) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Paste ``items`` (gray uint8 arrays) in order on ``background`` (S, S, 3) uint8: the
    scene (S, S, 3) and the visible mask (S, S) bool of each item (module docstring)."""
    size = background.shape[0]
    scene, owner, full_areas = background.copy(), np.full((size, size), -1), []
    low, high = np.log(OBJECT_SIDES)
    for index, item in enumerate(items):
        for _ in range(PLACEMENT_TRIES):
            side = int(round(np.exp(rng.uniform(low, high))))
            resized = mmcv.imresize(item, (side, side), interpolation='bilinear')
            mask = resized > FOREGROUND_THRESHOLD
            x, y = rng.integers(0, size - side + 1, size=2)
            placed = owner.copy()
            placed[y:y + side, x:x + side][mask] = index
            visible = np.bincount(placed.ravel() + 1, minlength=index + 2)[1:]
            if all(visible[i] >= MIN_VISIBLE * full_areas[i] for i in range(index)):
                break
        else:
            raise RuntimeError(f'no place for object {index + 1} of {len(items)} that leaves '
                               f'every earlier one half visible in {PLACEMENT_TRIES} tries')
        owner = placed
        full_areas.append(int(mask.sum()))
        scene[y:y + side, x:x + side][mask] = resized[mask][:, None]
    return scene, [owner == index for index in range(len(items))]


def encode(mask: np.ndarray) -> dict:
    """``mask`` (H, W) bool as LVIS/COCO compressed RLE, JSON-ready."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=list(rle['size']), counts=rle['counts'].decode('ascii'))


def write_split(split: str, counts: Sequence[int], pools: Sequence[ItemPool],
                backgrounds: Sequence[str], background_dir: str, out: str,
                train_counts: Sequence[int], rng: np.random.Generator) -> dict:
    """Compose and write the scenes of ``split`` (category ``c`` in ``counts[c]`` of them) on
    ``backgrounds`` (one per scene) into ``out/split/``; returns its LVIS v0.5 dict."""
    images, annotations = [], []
    for image_id, (categories, background) in enumerate(
            zip(plan_scenes(counts, rng), backgrounds), start=1):
        photo = mmcv.imread(osp.join(background_dir, background), channel_order='bgr')
        photo = mmcv.imresize(photo, (IMAGE_SIZE, IMAGE_SIZE), interpolation='bilinear')
        items, sources = zip(*(pools[category].draw() for category in categories))
        scene, masks = compose(photo, items, rng)
        file_name = f'{image_id:06d}.png'
        mmcv.imwrite(scene, osp.join(out, split, file_name))
        present = {category + 1 for category in categories}
        images.append(dict(
            id=image_id, file_name=file_name, height=IMAGE_SIZE, width=IMAGE_SIZE,
            neg_category_ids=[i for i in range(1, len(CATEGORIES) + 1) if i not in present],
            not_exhaustive_category_ids=[], background=background))
        for category, source, mask in zip(categories, sources, masks):
            rle = encode(mask)
            annotations.append(dict(
                id=len(annotations) + 1, image_id=image_id, category_id=category + 1,
                segmentation=rle, area=float(mask.sum()),
                bbox=[float(v) for v in mask_utils.toBbox(rle)], source=source))
    return dict(images=images, annotations=annotations,
                categories=lvis_categories(images, annotations, train_counts))


def lvis_categories(images: Sequence[dict], annotations: Sequence[dict],
                    train_counts: Sequence[int]) -> List[dict]:
    """LVIS v0.5 ``categories``: ``frequency`` by ``train_counts``, ``image_count`` and
    ``instance_count`` of ``annotations``."""
    instances = np.bincount([a['category_id'] for a in annotations],
                            minlength=len(CATEGORIES) + 1)
    pairs = {(a['image_id'], a['category_id']) for a in annotations}
    image_counts = np.bincount([c for _, c in pairs], minlength=len(CATEGORIES) + 1)
    return [{'id': i, 'name': c.name, 'synset': f'{c.source}.{c.label}', 'synonyms': [c.name],
             'def': c.definition, 'frequency': frequency(train_counts[i - 1]),
             'image_count': int(image_counts[i]), 'instance_count': int(instances[i])}
            for i, c in enumerate(CATEGORIES, start=1)]


def generate(fashion_mnist: str, backgrounds: str, out: str, head: int = 1000,
             val_per_category: int = 30, test_per_category: int = 50, seed: int = 0) -> dict:
    """Write LVIS-mini into ``out`` (module docstring); returns the number of scenes per
    split. Arguments as the command line's."""
    train_counts = train_image_counts(head)
    counts = {'train': train_counts, 'val': [val_per_category] * len(CATEGORIES),
              'test': [test_per_category] * len(CATEGORIES)}
    num_scenes = {split: sum(split_counts) // 2 for split, split_counts in counts.items()}
    files = background_files(backgrounds)
    if len(files) < sum(num_scenes.values()):
        raise ValueError(f'--backgrounds {backgrounds} holds {len(files)} images, the scenes '
                         f'need {sum(num_scenes.values())} (one each, {num_scenes})')
    rng = np.random.default_rng([seed, 1])
    files = [files[i] for i in rng.permutation(len(files))[:sum(num_scenes.values())]]
    pools = item_pools(fashion_mnist, seed)
    info = dict(description='LVIS-mini: long-tailed instance segmentation from real pixels '
                '(tools/dataset_converters/lvis_mini.py)', version='1.0', head=head,
                val_per_category=val_per_category, test_per_category=test_per_category,
                seed=seed)
    start = 0
    for index, split in enumerate(SPLITS):
        data = write_split(split, counts[split], pools[split],
                           files[start:start + num_scenes[split]], backgrounds, out,
                           train_counts, np.random.default_rng([seed, 2 + index]))
        start += num_scenes[split]
        os.makedirs(osp.join(out, 'annotations'), exist_ok=True)
        with open(osp.join(out, 'annotations', f'lvis_mini_{split}.json'), 'w') as f:
            json.dump(dict(info=info, licenses=[], **data), f)
    return num_scenes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--fashion-mnist', required=True,
                        help='the folder of the four Fashion-MNIST idx files (.gz or not)')
    parser.add_argument('--backgrounds', required=True,
                        help='a folder of photographs (searched recursively), e.g. the CIFAR-10 '
                        'training images, train/<class>/*.png')
    parser.add_argument('--out', required=True, help='an empty or new folder')
    parser.add_argument('--head', type=int, default=1000,
                        help='training scenes of the most frequent category (default: 1000)')
    parser.add_argument('--val-per-category', type=int, default=30,
                        help='val scenes per category (default: 30)')
    parser.add_argument('--test-per-category', type=int, default=50,
                        help='test scenes per category (default: 50)')
    parser.add_argument('--seed', type=int, default=0, help='seed of every draw (default: 0)')
    args = parser.parse_args()
    for flag in ('head', 'val_per_category', 'test_per_category'):
        if getattr(args, flag) < 1:
            parser.error(f'--{flag.replace("_", "-")} must be at least 1')
    missing = [name for names in FASHION_MNIST_FILES.values() for name in names
               if idx_file(args.fashion_mnist, name) is None]
    if missing:
        parser.error(f'--fashion-mnist {args.fashion_mnist}: no {", ".join(missing)} (or .gz); '
                     'pass the folder of the four Fashion-MNIST idx files')
    if not osp.isdir(args.backgrounds):
        parser.error(f'--backgrounds {args.backgrounds}: no such folder')
    if osp.isdir(args.out) and os.listdir(args.out):
        parser.error(f'--out {args.out} is not empty; pass an empty or new folder')
    return args


def main() -> None:
    args = parse_args()
    num_scenes = generate(args.fashion_mnist, args.backgrounds, args.out, args.head,
                          args.val_per_category, args.test_per_category, args.seed)
    print(f'wrote {num_scenes} scenes and annotations/lvis_mini_{{train,val,test}}.json into '
          f'{args.out}')


if __name__ == '__main__':
    main()
