"""The command-line tools as modules, for calling their ``main`` in-process.

Imported by the test files as ``from _tools import ...`` (pytest puts ``tests/`` on the path).
"""
import importlib.util
import os.path as osp
from types import ModuleType

from _checkout import REPO


def load_script(path: str) -> ModuleType:
    """The checkout's script ``path`` (relative to its root, e.g. ``'tools/test.py'``)."""
    name = osp.splitext(path)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tool(name: str) -> ModuleType:
    """The module ``tools/analysis/{name}.py``."""
    return load_script(f'tools/analysis/{name}.py')
