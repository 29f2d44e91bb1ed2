import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data')


@pytest.fixture(scope='session')
def shared_data() -> str:
    """``../shared/data`` beside the checkout (read-only real data); skips when it is absent."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'real data folder {SHARED_DATA} is absent (see ../shared/data/README.md)')
    return SHARED_DATA


@pytest.fixture(autouse=True)
def no_default_scope():
    """Each test starts without an mmengine default scope.

    A Runner (or ``init_default_scope``) leaves its scope (``'mmdet'``, ``'mmpretrain'``,
    ``'mmengine'``) as the current one for the whole process, and registries then build from
    that scope's children only; tests must not depend on the order they run in.
    """
    from mmengine.registry import DefaultScope
    DefaultScope._instance_dict.clear()
    yield
