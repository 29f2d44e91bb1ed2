"""A dataset wrapper that decodes every image once, into memory (a fast CPU data path)."""
from typing import Union

from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import Compose
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

from .wrappers import wrapped_datasets


@DATASETS.register_module()
class DecodedImages(Dataset):
    """A dataset whose images are decoded once, into memory, when it is built.

    It wraps ``dataset`` (e.g. a ``LongTailedDataset`` of a ``CustomDataset`` folder) whose
    pipeline, or its inner dataset's, starts with ``LoadImageFromFile``: that transform runs once
    per sample on construction, and ``__getitem__`` runs the rest of the pipeline (augmentation,
    packing) on a copy of the kept result, so every epoch sees fresh augmentations of the same
    decoded pixels. Samples, ``metainfo`` and ``get_data_info`` are the wrapped dataset's, so
    metrics and class counts see the same dataset. Dataloader workers forked from the process
    share the decoded images. Memory: H x W x 3 bytes per image (CIFAR: 3 KiB, 12,000 images
    37 MiB).

    Args:
        dataset (Dataset | dict): The dataset, or its config.

    Example:
        >>> train_dataloader = dict(dataset=dict(
        ...     type='DecodedImages',
        ...     dataset=dict(type='CustomDataset', data_root='data/my_images',
        ...                  pipeline=[dict(type='LoadImageFromFile'), ...])))
    """

    def __init__(self, dataset: Union[Dataset, dict]):
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        chain = wrapped_datasets(self.dataset)
        owner = next((dataset for dataset in chain if hasattr(dataset, 'pipeline')), chain[-1])
        transforms = getattr(getattr(owner, 'pipeline', None), 'transforms', [])
        if not transforms or not isinstance(transforms[0], LoadImageFromFile):
            raise ValueError(
                f'DecodedImages: the wrapped dataset\'s pipeline must start with '
                f'LoadImageFromFile, but {type(owner).__name__} has '
                f'{[type(t).__name__ for t in transforms]}; put '
                "dict(type='LoadImageFromFile') first in its pipeline")
        load, self.pipeline = transforms[0], Compose(transforms[1:])
        self.decoded = [load(self.dataset.get_data_info(i)) for i in range(len(self.dataset))]

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return self.dataset.metainfo

    def full_init(self) -> None:
        """Nothing left to do (everything is decoded on construction)."""

    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's annotation of sample ``idx`` (no image)."""
        return self.dataset.get_data_info(idx)

    def __getitem__(self, idx: int) -> dict:
        return self.pipeline(dict(self.decoded[idx]))

    def __len__(self) -> int:
        return len(self.decoded)
