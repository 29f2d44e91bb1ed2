"""Fixes for known bugs of the OpenMMLab stack, each applied only where a probe finds its bug.

``import mmcausal`` calls :func:`apply`, which runs the probe of each entry of :data:`FIXES` and
applies the fix only where the probe finds the bug: a stack without it is left untouched, and a
probe run after its fix finds nothing. Probes need no network; together they take about
0.15 s, mostly the import of ``pkg_resources`` that mmengine's package lookup needs.
``MMCAUSAL_COMPAT=0`` in the environment turns every fix off: importing mmcausal then changes
nothing of mmengine, torch or lvis besides registering mmcausal's modules. docs/compat.md lists
the fixes, their probes and the upstream reports.

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
   resolves ``package::`` for the packages of its ``MODULE2PACKAGE`` table, so mmcausal is added
   there.
4. mmengine's ``get_installed_path`` joins the distribution's location with the package name, a
   folder that does not exist for a PEP 660 editable install (``pip install -e .``); there the
   Config parser falls back to where the package is imported from.
5. An ``mmdet::`` config parsed without the detection stack (the classification install has
   mmcv-lite, no compiled ops) fails with the command that installs it.
6. Dataset subsets. mmengine 0.10.7's ``BaseDataset.get_subset`` deep-copies the dataset through
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
import tempfile
import types
import warnings
from typing import Any, Callable, Dict, FrozenSet, List, NamedTuple, Optional

import numpy as np
import torch

COMPAT_ENV = 'MMCAUSAL_COMPAT'
TRUST_CHECKPOINTS_ENV = 'MMCAUSAL_TRUST_CHECKPOINTS'
PACKAGE_DIR = osp.dirname(osp.abspath(__file__))


# 1. Weights-only checkpoints.
def weights_only_refuses_mmengine_checkpoints() -> bool:
    """Probe: mmengine's loader of local files refuses a checkpoint holding a ``HistoryBuffer``,
    which mmengine's message hub stores in every checkpoint it saves."""
    from mmengine.logging import HistoryBuffer
    from mmengine.runner import CheckpointLoader
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, 'message_hub.pth')
        torch.save(dict(message_hub=HistoryBuffer([1.0], [1])), path)
        try:
            CheckpointLoader.load_checkpoint(path, map_location='cpu', logger='silent')
        except pickle.UnpicklingError:
            return True
    return False


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


def load_checkpoints_weights_only() -> None:
    """Allow-list the types of OpenMMLab checkpoints and make :func:`load_local_checkpoint`
    mmengine's loader of local files (test, resume, ``load_from``, ``load_checkpoint``)."""
    from mmengine.runner import CheckpointLoader
    allow_openmmlab_checkpoints()
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)


# 2. lvis on NumPy >= 1.24.
def lvis_uses_removed_numpy_alias() -> bool:
    """Probe: ``lvis.eval`` uses ``np.float``, which its ``np`` no longer has (NumPy >= 1.24)."""
    if importlib.util.find_spec('lvis') is None:
        return False
    import lvis.eval
    with open(lvis.eval.__file__, encoding='utf-8') as f:
        uses_alias = re.search(r'\bnp\.float\b', f.read()) is not None
    return uses_alias and not hasattr(lvis.eval.np, 'float')


class _NumpyWithFloat(types.ModuleType):
    """NumPy as lvis.eval sees it: NumPy plus the removed alias ``np.float = float``."""
    float = float

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


def give_lvis_numpy_float() -> None:
    """Give ``lvis.eval`` a ``np`` with the ``float`` alias it uses; NumPy itself is untouched."""
    import lvis.eval
    lvis.eval.np = _NumpyWithFloat('numpy')


# 3. mmcausal:: configs.
def mmcausal_configs_unknown() -> bool:
    """Probe: mmengine's table of the packages whose ``package::`` configs it resolves lacks
    mmcausal."""
    from mmengine.config.utils import MODULE2PACKAGE
    return 'mmcausal' not in MODULE2PACKAGE


def register_config_package() -> None:
    """Let mmengine's Config resolve ``mmcausal::`` configs."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE['mmcausal'] = 'mmcausal'


# 4. Editable installs.
def installed_path_misses_mmcausal() -> bool:
    """Probe: the folder mmengine's Config resolves ``mmcausal::`` configs in (its
    ``get_installed_path``, through ``pkg_resources``) is not the one mmcausal is imported from,
    as for a PEP 660 editable install."""
    import mmengine.config.config as config_module
    with warnings.catch_warnings():
        # Only the probe's own import of pkg_resources (setuptools 81 warns on it); mmengine
        # reloads pkg_resources, and so warns, whenever it resolves a package:: config.
        warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API',
                                category=UserWarning)
        path = config_module.get_installed_path('mmcausal')
    return osp.realpath(path) != osp.realpath(PACKAGE_DIR)


def _installed_or_imported_path(package: str) -> str:
    """mmengine's ``get_installed_path``, falling back to the import location if it is missing."""
    from mmengine.utils import get_installed_path
    path = get_installed_path(package)
    if not osp.exists(path):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            return osp.dirname(spec.origin)
    return path


def find_editable_packages() -> None:
    """Make mmengine's Config look for a package's configs where it is imported from when its
    installed path does not exist."""
    import mmengine.config.config as config_module
    config_module.get_installed_path = _installed_or_imported_path


# 5. mmdet:: configs without the detection stack.
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


def detection_configs_unexplained() -> bool:
    """Probe: the detection stack is incomplete, and mmengine's Config would parse an
    ``mmdet::`` config without naming the install that completes it."""
    import mmengine.config.config as config_module

    from mmcausal.utils import detection_available
    return (not detection_available()
            and config_module.is_installed is not _installed_with_detection_stack)


def explain_detection_configs() -> None:
    """Make mmengine's Config name the detection install when it parses an ``mmdet::`` config
    without it."""
    import mmengine.config.config as config_module
    config_module.is_installed = _installed_with_detection_stack


# 6. Dataset subsets.
def dataset_copies_share_a_memo() -> bool:
    """Probe: ``BaseDataset._copy_without_annotation`` (``get_subset``'s copy) defaults its
    ``memo`` to one dict, shared by every call."""
    from mmengine.dataset import BaseDataset
    defaults = BaseDataset._copy_without_annotation.__defaults__ or ()
    return any(isinstance(default, dict) for default in defaults)


def give_dataset_copies_their_own_memo() -> None:
    """Make ``BaseDataset._copy_without_annotation`` start from a fresh memo on every call that
    passes none."""
    from mmengine.dataset import BaseDataset
    copy_without_annotation = BaseDataset._copy_without_annotation

    def copy_with_fresh_memo(self: BaseDataset, memo: Optional[dict] = None) -> BaseDataset:
        return copy_without_annotation(self, {} if memo is None else memo)

    BaseDataset._copy_without_annotation = copy_with_fresh_memo


class Fix(NamedTuple):
    """A fix of a known bug of the stack, applied where ``probe()`` returns True."""
    name: str
    probe: Callable[[], bool]
    apply: Callable[[], None]


FIXES = (
    Fix('weights-only checkpoints', weights_only_refuses_mmengine_checkpoints,
        load_checkpoints_weights_only),
    Fix('lvis on NumPy 2', lvis_uses_removed_numpy_alias, give_lvis_numpy_float),
    Fix('mmcausal:: configs', mmcausal_configs_unknown, register_config_package),
    Fix('editable installs', installed_path_misses_mmcausal, find_editable_packages),
    Fix('mmdet:: configs without detection', detection_configs_unexplained,
        explain_detection_configs),
    Fix('dataset subsets', dataset_copies_share_a_memo, give_dataset_copies_their_own_memo),
)


def enabled() -> bool:
    """Whether ``MMCAUSAL_COMPAT`` (``1``, the default, or ``0``) lets :func:`apply` fix."""
    value = os.environ.get(COMPAT_ENV, '1')
    if value not in ('0', '1'):
        raise ValueError(f'{COMPAT_ENV}={value!r} in the environment: set it to 0 to turn '
                         "mmcausal's compatibility fixes off, or to 1 (the default)")
    return value == '1'


def apply() -> List[str]:
    """Apply each fix of :data:`FIXES` whose probe finds its bug, unless ``MMCAUSAL_COMPAT=0``;
    idempotent, since a fixed bug is not found again. Returns the names of the fixes applied."""
    if not enabled():
        return []
    applied = []
    for fix in FIXES:
        if fix.probe():
            fix.apply()
            applied.append(fix.name)
    return applied
