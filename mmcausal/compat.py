"""Narrow fixes for two incompatibilities of the pinned OpenMMLab stack, applied on import.

1. torch >= 2.6 loads checkpoints with ``weights_only=True`` by default, and mmengine 0.10.7 calls
   ``torch.load`` without the argument, so loading its own checkpoints (test, resume,
   ``load_from``) fails on the types its message hub stores. We keep weights-only loading and
   allow-list exactly those types: ``HistoryBuffer``, NumPy arrays, dtypes and scalars, and the
   ``getattr(HistoryBuffer, name)`` calls that pickle its statistics methods. ``getattr`` is
   registered as a restricted function that only resolves attributes of ``HistoryBuffer``;
   the builtin ``getattr`` is never allow-listed.
2. lvis 0.5.3's ``LVISEval.accumulate`` uses ``np.float``, removed in NumPy 1.24. Only the
   ``np`` seen by ``lvis.eval`` gains ``float``; NumPy itself is untouched.
3. ``mmcausal::`` configs (shipped in ``mmcausal/.mim`` as mmyolo does): mmengine's Config only
   resolves ``package::`` for the packages in its ``MODULE2PACKAGE`` table, so mmcausal is added
   there; and its ``get_installed_path`` joins the distribution's location with the package name,
   a folder that does not exist for a PEP 660 editable install (``pip install -e .``), so only
   then the Config parser falls back to where the package is imported from. Both take effect once
   mmcausal is imported (tools/train.py and tools/test.py import it before parsing).
4. setuptools is kept below 82 because mmengine resolves ``package::`` configs through
   ``pkg_resources``, which setuptools 81 imports with a deprecation warning on every run; that
   one warning is silenced, since the pin is deliberate.
"""
import importlib.util
import os.path as osp
import pickle
import types
import warnings
from typing import Any

import numpy as np
import torch


def _history_buffer_attribute(obj: Any, name: str) -> Any:
    """``getattr`` restricted to ``HistoryBuffer``, as mmengine's checkpoints pickle it."""
    from mmengine.logging import HistoryBuffer
    if obj is not HistoryBuffer or name.startswith('_'):
        raise pickle.UnpicklingError(f'weights-only loading allows getattr only on public '
                                     f'HistoryBuffer attributes, not {obj!r}.{name}')
    return getattr(HistoryBuffer, name)


def allow_mmengine_checkpoints() -> None:
    """Allow-list, for weights-only ``torch.load``, the types in mmengine checkpoints."""
    if not hasattr(torch.serialization, 'add_safe_globals'):  # torch < 2.4 loads them anyway
        return
    from mmengine.logging import HistoryBuffer
    numpy_dtypes = [type(np.dtype(code)) for code in np.typecodes['All'] if code not in 'OV']
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    # Arrays pickled under NumPy 1 name numpy.core, under NumPy 2 numpy._core.
    numpy_rebuilders = [(getattr(multiarray, fn), f'numpy.{core}.multiarray.{fn}')
                        for fn in ('_reconstruct', 'scalar') for core in ('core', '_core')]
    torch.serialization.add_safe_globals([
        HistoryBuffer, np.ndarray, np.dtype, *numpy_dtypes, *numpy_rebuilders,
        (_history_buffer_attribute, 'builtins.getattr'),
        (_history_buffer_attribute, '__builtin__.getattr'),
    ])


class _NumpyWithFloat(types.ModuleType):
    """NumPy as lvis.eval sees it: NumPy plus the removed alias ``np.float = float``."""
    float = float

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


def patch_lvis_numpy() -> None:
    """Give ``lvis.eval`` the ``np.float`` alias it uses, if NumPy no longer has it."""
    if hasattr(np, 'float'):
        return
    try:
        import lvis.eval
    except ImportError:
        return
    if not isinstance(lvis.eval.np, _NumpyWithFloat):
        lvis.eval.np = _NumpyWithFloat('numpy')


def _installed_or_imported_path(package: str) -> str:
    """mmengine's ``get_installed_path``, falling back to the import location if it is missing."""
    from mmengine.utils import get_installed_path
    path = get_installed_path(package)
    if not osp.exists(path):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            return osp.dirname(spec.origin)
    return path


def register_config_package() -> None:
    """Let mmengine's Config resolve ``mmcausal::`` configs, editable installs included."""
    import mmengine.config.config as config_module
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmcausal', 'mmcausal')
    config_module.get_installed_path = _installed_or_imported_path


def apply() -> None:
    """Apply every fix; idempotent."""
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API',
                            category=UserWarning)
    allow_mmengine_checkpoints()
    patch_lvis_numpy()
    register_config_package()
