"""The datasets inside a dataset wrapper, built or as a config."""
from typing import Any, List


def wrapped_datasets(dataset: Any) -> List[Any]:
    """``dataset`` and the datasets it wraps, outermost first, down to the source.

    A wrapper holds the dataset it wraps as ``dataset``: an attribute of a built wrapper
    (:class:`~mmcausal.datasets.DecodedImages`, :class:`~mmcausal.datasets.LongTailedDataset`,
    mmengine's ``RepeatDataset`` and ``ClassBalancedDataset``), a key of its config (e.g.
    ``dict(type='DecodedImages', dataset=dict(type='LongTailedDataset', dataset=...))``).

    Example:
        >>> [d['type'] for d in wrapped_datasets(
        ...     dict(type='DecodedImages', dataset=dict(type='CustomDataset')))]
        ['DecodedImages', 'CustomDataset']
    """
    chain = [dataset]
    while True:
        inner = (chain[-1].get('dataset') if isinstance(chain[-1], dict) else
                 getattr(chain[-1], 'dataset', None))
        if inner is None:
            return chain
        chain.append(inner)
