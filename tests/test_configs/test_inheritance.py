"""The configs inherit as "How rows inherit" of configs/README.md says (the values of each row are
checked by test_cls_configs.py and test_lvis_configs.py). A row is a config outside ``_base_/``;
its parent rows are read from its ``_base_`` as written:

- no row sets a backbone: a backbone variant is a root row with its own ``_base_/models`` file;
- a row has at most one parent row, and a chain of rows is at most three long;
- a ``-tde`` row inherits the row whose checkpoint it tests (its name without ``-tde`` or
  ``-tde-no-exemption``) and resolves to that row's config except for the TDE test settings of
  its heads (``alpha``; LVIS: ``background_exempted``).
"""
import ast
import functools
import glob
import os.path as osp
import re
from typing import List

import mmengine.config.utils
import pytest
from _config_names import CONFIGS, config_id
from mmengine.config import Config

import mmcausal  # noqa: F401  (registers the scope of mmcausal's configs)

ROWS = sorted(path for path in glob.glob(osp.join(CONFIGS, '*', '*.py'))
              if osp.basename(osp.dirname(path)) != '_base_')
TDE_ROWS = [path for path in ROWS if '-tde' in osp.basename(path)]
TDE = re.compile(r'-tde(-no-exemption)?')


@pytest.fixture(scope='module', autouse=True)
def read_mmdet_metafiles_once():
    """As in test_lvis_configs.py: read each of mmdet's metafiles once for all LVIS configs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine.config.utils, 'load',
                      functools.lru_cache(maxsize=None)(mmengine.config.utils.load))
        yield


def parse(path: str) -> ast.Module:
    with open(path, encoding='utf-8') as f:
        return ast.parse(f.read())


def bases(path: str) -> List[str]:
    """The config's ``_base_``, as written, as a list."""
    for node in parse(path).body:
        if isinstance(node, ast.Assign) and \
                [getattr(target, 'id', None) for target in node.targets] == ['_base_']:
            base = ast.literal_eval(node.value)
            return [base] if isinstance(base, str) else list(base)
    return []


def parent_rows(path: str) -> List[str]:
    """The rows among the config's bases (not ``_base_/`` files, not ``scope::`` files)."""
    return [osp.normpath(osp.join(osp.dirname(path), base)) for base in bases(path)
            if '::' not in base and '_base_' not in base.split('/')]


def chain_length(path: str) -> int:
    return 1 + max(map(chain_length, parent_rows(path)), default=0)


@pytest.mark.parametrize('path', ROWS, ids=config_id)
def test_row_inheritance(path):
    backbones = [node for node in ast.walk(parse(path))
                 if isinstance(node, ast.keyword) and node.arg == 'backbone']
    assert not backbones, 'a row takes its backbone from a _base_/models file'
    assert len(parent_rows(path)) <= 1 and chain_length(path) <= 3


@pytest.mark.parametrize('path', TDE_ROWS, ids=config_id)
def test_tde_row_sets_only_tde_settings(path):
    if osp.basename(osp.dirname(path)).startswith('lvis'):
        pytest.importorskip('mmdet')
    trained = TDE.sub('', osp.basename(path))
    assert bases(path) == [f'./{trained}']
    assert without_tde_settings(Config.fromfile(path)) == \
        without_tde_settings(Config.fromfile(osp.join(osp.dirname(path), trained)))


def without_tde_settings(cfg: Config) -> dict:
    """The resolved config without alpha and background_exempted of its heads."""
    resolved = cfg.to_dict()
    model = resolved['model']
    heads = model['roi_head']['bbox_head'] if 'roi_head' in model else [model['head']]
    for head in heads:
        head.pop('alpha')
        head.pop('background_exempted', None)
    return resolved
