"""A dataset wrapper that decodes every image once, into memory (a fast CPU data path)."""
from typing import List, Optional, Union

from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import Compose
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

from .wrappers import wrapped_datasets


@DATASETS.register_module()
class DecodedImages(Dataset):
    """A dataset whose images are decoded once, into memory.

    It wraps ``dataset`` (e.g. a ``LongTailedDataset`` of a ``CustomDataset`` folder) whose
    pipeline, or its inner dataset's, starts with ``LoadImageFromFile``: that transform runs once
    per sample in :meth:`full_init` (called by the Runner when it builds the dataloader, else by
    the first ``__getitem__``; counting labels decodes nothing), and ``__getitem__`` runs the
    rest of the pipeline (augmentation, packing) on a copy of the kept result, so every epoch
    sees fresh augmentations of the same decoded pixels. Samples, ``metainfo`` and
    ``get_data_info`` are the wrapped dataset's, so metrics and class counts see the same
    dataset. Dataloader workers forked after :meth:`full_init` share the decoded images.
    Memory: H x W x 3 bytes per image (CIFAR: 3 KiB, 12,000 images 37 MiB).

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
        chain = wrapped_datasets(self.dataset)
        owner = next((dataset for dataset in chain if hasattr(dataset, 'pipeline')), chain[-1])
        transforms = getattr(getattr(owner, 'pipeline', None), 'transforms', [])
        if not transforms or not isinstance(transforms[0], LoadImageFromFile):
            raise ValueError(
                f'DecodedImages: the wrapped dataset\'s pipeline must start with '
                f'LoadImageFromFile, but {type(owner).__name__} has '
                f'{[type(t).__name__ for t in transforms]}; put '
                "dict(type='LoadImageFromFile') first in its pipeline")
        self._load, self.pipeline = transforms[0], Compose(transforms[1:])
        self.decoded: Optional[List[dict]] = None

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return self.dataset.metainfo

    def full_init(self) -> None:
        """Decode every image, once (the Runner calls this when it builds the dataloader, so
        workers forked afterwards share the decoded images)."""
        if self.decoded is not None:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self.decoded = [self._load(self.dataset.get_data_info(i))
                        for i in range(len(self.dataset))]

    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's annotation of sample ``idx`` (no image is decoded)."""
        return self.dataset.get_data_info(idx)

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        return self.pipeline(dict(self.decoded[idx]))

    def __len__(self) -> int:
        return len(self.dataset)
