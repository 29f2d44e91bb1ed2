"""Images/s of the JPEG data path and of DecodedImages, side by side in one run.

    python benchmarks/data_path_speed.py [--data DIR] [--images N] [--rounds R] [--smoke]

Both serve the training set of ``configs/cifar10_jpg_lt/`` (the long-tailed subset of ``--data``,
a folder of the CIFAR-10 training images in class folders) through its training pipeline (random
crop, flip, packing), in one process, without dataloader workers: ``jpeg`` decodes every image on
every access (``LoadImageFromFile``), ``decoded`` (:class:`~mmcausal.datasets.DecodedImages`)
once, when built. The two alternate for ``--rounds`` rounds of ``--images`` samples each, so load
on the machine affects both alike; it prints the median images/s of each, their ratio, and the
one-off decoding time of ``decoded``. ``--smoke`` runs it on the tiny subset of
:func:`~mmcausal.apis.tiny_data_options` (80 images per class are enough).
"""
import argparse
import os.path as osp
import statistics
import time

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

import mmcausal  # noqa: F401  (registers DecodedImages)
from mmcausal.apis import data_root_options, tiny_data_options

CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'cifar10_jpg_lt',
                  'deconfound_resnet32_1xb256-200e_cifar10-jpg-lt-r100.py')


def images_per_s(dataset, count: int, offset: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        dataset[(offset + i) % len(dataset)]
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default=osp.join('data', 'cifar10-jpg', 'train'),
                        help='the CIFAR-10 training images, one folder per class')
    parser.add_argument('--images', type=int, default=2000, help='samples per round')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--smoke', action='store_true', help='the tiny subset, a check in seconds')
    args = parser.parse_args()
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(data_root_options(CONFIG, osp.abspath(args.data)),
                             **(tiny_data_options() if args.smoke else {})))
    init_default_scope('mmpretrain')
    decoded_cfg = cfg.train_dataloader.dataset
    jpeg = DATASETS.build(decoded_cfg.dataset)
    start = time.perf_counter()
    decoded = DATASETS.build(decoded_cfg)
    decode_s = time.perf_counter() - start
    speeds = {'jpeg': [], 'decoded': []}
    for round_ in range(args.rounds):
        for name, dataset in (('jpeg', jpeg), ('decoded', decoded)):
            speeds[name].append(images_per_s(dataset, args.images, round_ * args.images))
    median = {name: statistics.median(values) for name, values in speeds.items()}
    print(f'{len(jpeg)} training images, {args.rounds} rounds of {args.images} samples each')
    print(f"jpeg    {median['jpeg']:8.0f} images/s")
    print(f"decoded {median['decoded']:8.0f} images/s (decoding all once: {decode_s:.1f} s)")
    print(f"ratio decoded / jpeg: {median['decoded'] / median['jpeg']:.2f}")


if __name__ == '__main__':
    main()
