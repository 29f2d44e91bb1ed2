import gzip
import os
import os.path as osp
import shutil
import tarfile

import pytest
from _checkout import REPO
from _tools import load_script

# The real data (read-only, never committed): MMCAUSAL_DATA, else ../shared/data beside the
# checkout. CI sets MMCAUSAL_REQUIRE_DATA=1, so that a missing folder fails instead of skipping.
DATA_VARIABLE, REQUIRE_VARIABLE = 'MMCAUSAL_DATA', 'MMCAUSAL_REQUIRE_DATA'
DEFAULT_DATA = osp.join(osp.dirname(REPO), 'shared', 'data')


@pytest.fixture(scope='session')
def shared_data() -> str:
    """The real data folder (``cifar10-jpg/``, ``lvis/``, ...): ``$MMCAUSAL_DATA``, default
    ``../shared/data`` beside the checkout. Absent, the test skips, or fails when
    ``MMCAUSAL_REQUIRE_DATA=1``."""
    folder = os.environ.get(DATA_VARIABLE, DEFAULT_DATA)
    if not osp.isdir(folder):
        message = (f'the real data folder {folder} is absent; set {DATA_VARIABLE} to the folder '
                   'that holds cifar10-jpg/ and lvis/')
        if os.environ.get(REQUIRE_VARIABLE) == '1':
            pytest.fail(f'{message} ({REQUIRE_VARIABLE}=1 requires it)', pytrace=False)
        pytest.skip(message)
    return folder


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


@pytest.fixture(scope='session')
def cifar10_png_tiny(shared_data, tmp_path_factory) -> str:
    """A folder with ``train/`` and ``test/`` holding the first 80 and 20 real CIFAR-10 PNGs of
    each class (original pixels, lossless): the layout of ``image_folder_options``."""
    root = tmp_path_factory.mktemp('cifar10-png-tiny')
    for split, per_class in (('train', 80), ('test', 20)):
        with tarfile.open(osp.join(shared_data, 'cifar10-png', f'{split}.tar.gz')) as tar:
            files = [member for member in tar.getmembers()
                     if member.isfile() and member.name.count('/') == 2]
            taken = {}
            for member in sorted(files, key=lambda member: member.name):
                taken.setdefault(member.name.split('/')[1], []).append(member.name)
            first = {name for names in taken.values() for name in names[:per_class]}
            # in archive order: one forward pass through the gzip stream
            chosen = [member for member in files if member.name in first]
            tar.extractall(root, members=chosen, filter='data')
        assert len(taken) == 10 and len(chosen) == 10 * per_class
    return str(root)


@pytest.fixture(scope='session')
def fashion_mnist_root(shared_data, tmp_path_factory) -> str:
    """A data root holding the four Fashion-MNIST idx files of ``shared_data``, extracted:
    mmpretrain's ``FashionMNIST`` reads them there and downloads nothing."""
    root = tmp_path_factory.mktemp('fashion-mnist')
    for split in ('train', 't10k'):
        for kind in ('images-idx3', 'labels-idx1'):
            name = f'{split}-{kind}-ubyte'
            with gzip.open(osp.join(shared_data, 'fashion-mnist', f'{name}.gz')) as packed, \
                    open(root / name, 'wb') as extracted:
                shutil.copyfileobj(packed, extracted)
    return str(root)


@pytest.fixture(scope='session')
def tiny_lvis_mini(shared_data, cifar10_jpg_tiny, tmp_path_factory) -> str:
    """LVIS-mini from tools/dataset_converters/lvis_mini.py on the real Fashion-MNIST files and
    CIFAR-10 photographs at its smallest: 34 training scenes (8 ... 1 per category, every one
    rare), each category in 1 val and 1 test scene."""
    root = str(tmp_path_factory.mktemp('lvis_mini'))
    lvis_mini = load_script('tools/dataset_converters/lvis_mini.py')
    assert lvis_mini.generate(osp.join(shared_data, 'fashion-mnist'), cifar10_jpg_tiny, root,
                              head=8, val_per_category=1, test_per_category=1) == \
        dict(train=34, val=10, test=10)
    return root


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
