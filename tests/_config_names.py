"""Config paths as benchmark rows, for the config tests.

Imported by the test files as ``from _config_names import ...`` (pytest puts ``tests/`` on the
path). In the benchmark folders of ``configs/`` a file name states its row; each test file
describes its names by a regular expression with named groups.
"""
import os.path as osp
import re
from typing import Callable, Dict, Optional

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')


def config_id(path: str) -> str:
    """The config's path relative to ``configs/``, e.g. ``cifar_lt/linear_....py``."""
    return osp.relpath(path, CONFIGS)


def name_parser(name: 're.Pattern[str]') -> Callable[[str], Dict[str, Optional[str]]]:
    """A function from a config path to the named groups of ``name`` in its file name, which
    fails the test when the file name does not match."""

    def parse_name(path: str) -> Dict[str, Optional[str]]:
        match = name.match(osp.basename(path))
        assert match, f'{config_id(path)} does not follow {name.pattern}'
        return match.groupdict()

    return parse_name
