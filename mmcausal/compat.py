"""Narrow fixes for the pinned OpenMMLab stack, applied when mmcausal is imported.

1. Weights-only checkpoints. torch >= 2.6 loads checkpoints with ``weights_only=True`` by
   default, and mmengine 0.10.7 calls ``torch.load`` without the argument, so loading its own
   checkpoints (test, resume, ``load_from``) fails on the Python types they hold besides
   tensors. We keep weights-only loading and allow-list exactly what stock mmengine, mmpretrain
   and mmdet components store (checked for every LR and momentum scheduler mmengine registers,
   SGD, Adam, AdamW, RMSprop, ``EMAHook``; tests/test_compat.py):

   - ``HistoryBuffer`` (the message hub's logged scalars), NumPy arrays, dtypes and scalars in
     it (``numpy.core`` and ``numpy._core`` names, for NumPy 1 and 2);
   - ``OneCycleParamScheduler`` (``OneCycleLR``'s state keeps its annealing function);
   - ``getattr(owner, name)``, which pickle uses for methods, only for the methods those
     classes store: ``HistoryBuffer.min/max/current/mean`` and
     ``OneCycleParamScheduler._annealing_cos/_annealing_linear``. The builtin ``getattr`` is
     never allow-listed: a restricted one stands in for it.

   mmengine's loader of local files is replaced by one that loads weights-only and, when a
   file holds another type, refuses with a message naming the type and the switch for a file
   the user trusts: ``MMCAUSAL_TRUST_CHECKPOINTS=1`` loads it with full unpickling.
2. lvis 0.5.3's ``LVISEval.accumulate`` uses ``np.float``, removed in NumPy 1.24. Only the
   ``np`` seen by ``lvis.eval`` gains ``float``; NumPy itself is untouched.
3. ``mmcausal::`` configs (shipped in ``mmcausal/.mim`` as mmyolo does): mmengine's Config only
   resolves ``package::`` for the packages in its ``MODULE2PACKAGE`` table, so mmcausal is added
   there; and its ``get_installed_path`` joins the distribution's location with the package name,
   a folder that does not exist for a PEP 660 editable install (``pip install -e .``), so only
   then the Config parser falls back to where the package is imported from. An ``mmdet::``
   config parsed without the detection stack (the classification install has mmcv-lite, no
   compiled ops) fails with the command that installs it. Both take effect once mmcausal is
   imported (tools/train.py and tools/test.py import it before parsing).
4. Warnings: setuptools is kept below 82 because mmengine resolves ``package::`` configs through
   ``pkg_resources``, which setuptools 81 imports with a deprecation warning on every run; and
   mmcv-lite warns on every import that its compiled ops are missing. Those two warnings are
   silenced, since both are deliberate.
5. Dataset subsets. mmengine 0.10.7's ``BaseDataset.get_subset`` deep-copies the dataset through
   ``_copy_without_annotation(memo=dict())``: one memo dict, the default, shared by every call in
   the process. So two subsets of one dataset share the copies of its attributes (the pipeline,
   the metainfo), and once a dataset is freed, an object that Python later places at its address
   is "copied" as that dataset's old copy: a subset's pipeline turns into a dataset and the first
   sample fails with ``'...Dataset' object is not callable`` (seen in a long test run). Each call
   now gets a fresh memo unless it passes one.
"""
import importlib.util
import os
import os.path as osp
import pickle
import re
import types
import warnings
from typing import Any, Dict, FrozenSet, Optional

import numpy as np
import torch

TRUST_CHECKPOINTS_ENV = 'MMCAUSAL_TRUST_CHECKPOINTS'


def _pickled_methods() -> Dict[type, FrozenSet[str]]:
    """The methods stock OpenMMLab checkpoints pickle as ``getattr(owner, name)``, by owner."""
    from mmengine.logging import HistoryBuffer
    from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler
    return {
        # The message hub's HistoryBuffers keep their statistics methods.
        HistoryBuffer: frozenset({'min', 'max', 'current', 'mean'}),
        # OneCycleLR keeps its annealing function (anneal_strategy 'cos' or 'linear').
        OneCycleParamScheduler: frozenset({'_annealing_cos', '_annealing_linear'}),
    }


def _allowed_attribute(obj: Any, name: str) -> Any:
    """``getattr`` restricted to the methods of :func:`_pickled_methods`."""
    if name not in _pickled_methods().get(obj, ()):
        raise pickle.UnpicklingError(
            f'weights-only loading allows getattr only on the methods OpenMMLab checkpoints '
            f'store, not {getattr(obj, "__qualname__", repr(obj))}.{name}')
    return getattr(obj, name)


def allow_openmmlab_checkpoints() -> None:
    """Allow-list, for weights-only ``torch.load``, the types in OpenMMLab checkpoints."""
    if not hasattr(torch.serialization, 'add_safe_globals'):  # torch < 2.4 loads them anyway
        return
    numpy_dtypes = [type(np.dtype(code)) for code in np.typecodes['All'] if code not in 'OV']
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    # Arrays pickled under NumPy 1 name numpy.core, under NumPy 2 numpy._core.
    numpy_rebuilders = [(getattr(multiarray, fn), f'numpy.{core}.multiarray.{fn}')
                        for fn in ('_reconstruct', 'scalar') for core in ('core', '_core')]
    torch.serialization.add_safe_globals([
        *_pickled_methods(), np.ndarray, np.dtype, *numpy_dtypes, *numpy_rebuilders,
        (_allowed_attribute, 'builtins.getattr'),
        (_allowed_attribute, '__builtin__.getattr'),
    ])


def load_local_checkpoint(filename: str, map_location: Any = None) -> Any:
    """mmengine's local checkpoint loader, weights-only, with a refusal that says what to do.

    With ``MMCAUSAL_TRUST_CHECKPOINTS=1`` in the environment it unpickles fully instead, for a
    file the user trusts that holds other types.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if os.environ.get(TRUST_CHECKPOINTS_ENV) == '1':
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r'GLOBAL (\S+)|allows getattr .*? not (\S+)', str(error))
        what = next((name for name in refused.groups() if name), '?') if refused else '?'
        raise pickle.UnpicklingError(
            f'refused to load {filename}: it holds {what}, which weights-only loading does not '
            'allow. mmcausal allow-lists only what stock mmengine, mmpretrain and mmdet '
            'components store (mmcausal/compat.py), because unpickling any other type can run '
            f'code from the file. If you trust the file, set {TRUST_CHECKPOINTS_ENV}=1 in the '
            'environment to load it with full unpickling.') from error


def register_checkpoint_loader() -> None:
    """Make :func:`load_local_checkpoint` mmengine's loader of local files (test, resume,
    ``load_from``, ``load_checkpoint``)."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)


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


def _installed_with_detection_stack(package: str) -> bool:
    """mmengine's ``is_installed``; for ``mmdet`` it raises, naming the install command, when
    the detection stack (mmdet and mmcv's compiled ops) is incomplete."""
    from mmengine.utils import is_installed

    from mmcausal.utils import DETECTION_INSTALL, detection_available
    if package == 'mmdet' and not detection_available():
        raise ModuleNotFoundError(
            'this config inherits mmdet:: configs, and detection needs mmdet and mmcv with its '
            'compiled ops, which the classification install (mmcv-lite) leaves out; run '
            f'`{DETECTION_INSTALL}` to add them')
    return is_installed(package)


def register_config_package() -> None:
    """Let mmengine's Config resolve ``mmcausal::`` configs, editable installs included, and
    say how to install detection when an ``mmdet::`` config is parsed without it."""
    import mmengine.config.config as config_module
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmcausal', 'mmcausal')
    config_module.get_installed_path = _installed_or_imported_path
    config_module.is_installed = _installed_with_detection_stack


def give_dataset_copies_their_own_memo() -> None:
    """Make ``BaseDataset._copy_without_annotation`` (``get_subset``'s copy) start from a fresh
    memo on every call that passes none, instead of mmengine's shared default dict."""
    from mmengine.dataset import BaseDataset
    copy_without_annotation = BaseDataset._copy_without_annotation
    if getattr(copy_without_annotation, 'fresh_memo', False):
        return

    def copy_with_fresh_memo(self: BaseDataset, memo: Optional[dict] = None) -> BaseDataset:
        return copy_without_annotation(self, {} if memo is None else memo)

    copy_with_fresh_memo.fresh_memo = True
    BaseDataset._copy_without_annotation = copy_with_fresh_memo


def apply() -> None:
    """Apply every fix; idempotent."""
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API',
                            category=UserWarning)
    # mmcv-lite (the classification install) warns on import that mmcv.ops is missing.
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``',
                            category=UserWarning)
    allow_openmmlab_checkpoints()
    register_checkpoint_loader()
    patch_lvis_numpy()
    register_config_package()
    give_dataset_copies_their_own_memo()
