import os.path as osp
import tarfile

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data')


@pytest.fixture(scope='session')
def shared_data() -> str:
    """``../shared/data`` beside the checkout (read-only real data); skips when it is absent."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'real data folder {SHARED_DATA} is absent (see ../shared/data/README.md)')
    return SHARED_DATA


@pytest.fixture(scope='session')
def cifar10_jpg_tiny(shared_data, tmp_path_factory) -> str:
    """A folder of class folders with the first 80 real CIFAR-10 JPEGs of each class."""
    root = tmp_path_factory.mktemp('cifar10-jpg-tiny')
    taken = {}
    with tarfile.open(osp.join(shared_data, 'cifar10-jpg', 'train.tar.gz')) as tar:
        for member in tar:
            parts = member.name.split('/')
            if member.isfile() and len(parts) == 3 and taken.get(parts[1], 0) < 80:
                taken[parts[1]] = taken.get(parts[1], 0) + 1
                tar.extract(member, root, filter='data')
    assert len(taken) == 10 and set(taken.values()) == {80}
    return str(root / 'train')


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
