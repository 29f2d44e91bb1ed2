"""The model zoo of configs/ as OpenMMLab lays it out: every config folder has a README.md that
links each of its configs and a metafile.yml (mmpretrain's format) that lists each of them,
model-index.yml imports every metafile, and configs/README.md and the top README link every
folder."""
import glob
import os.path as osp

import mmengine
import pytest
from _config_names import CONFIGS

REPO = osp.dirname(CONFIGS)
FOLDERS = sorted({osp.basename(osp.dirname(path))
                  for path in glob.glob(osp.join(CONFIGS, '*', '*.py'))} - {'_base_'})


def read(path: str) -> str:
    with open(osp.join(REPO, path), encoding='utf-8') as f:
        return f.read()


def configs_of(folder: str) -> list:
    return sorted(osp.basename(path) for path in glob.glob(osp.join(CONFIGS, folder, '*.py')))


def test_the_folders():
    assert set(FOLDERS) >= {'cifar10_jpg_lt', 'cifar_lt', 'custom', 'digits_lt',
                            'fashion_mnist_lt', 'imagenet_lt', 'lvis'}


@pytest.mark.parametrize('folder', FOLDERS)
def test_readme_links_every_config_of_its_folder(folder):
    readme = read(f'configs/{folder}/README.md')
    missing = [name for name in configs_of(folder) if f']({name})' not in readme]
    assert not missing, f'configs/{folder}/README.md has no link to {missing}'
    assert readme.startswith('# ') and '## Citation' in readme


@pytest.mark.parametrize('folder', FOLDERS)
def test_metafile_lists_every_config_of_its_folder(folder):
    metafile = mmengine.load(osp.join(CONFIGS, folder, 'metafile.yml'))
    collections = [collection['Name'] for collection in metafile['Collections']]
    assert len(collections) == 1
    assert metafile['Collections'][0]['README'] == f'configs/{folder}/README.md'
    models = metafile['Models']
    assert sorted(model['Config'] for model in models) == [
        f'configs/{folder}/{name}' for name in configs_of(folder)]
    for model in models:
        assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
        assert model['In Collection'] == collections[0]
        assert set(model) <= {'Name', 'Metadata', 'In Collection', 'Results', 'Weights', 'Config'}
        if model['Results'] is None:  # nothing measured, nothing published
            assert 'Weights' not in model
        else:
            assert osp.isfile(osp.join(REPO, model['Weights'])), model['Weights']


def test_model_index_imports_every_metafile_and_the_readmes_link_every_folder():
    index = mmengine.load(osp.join(REPO, 'model-index.yml'))
    assert sorted(index['Import']) == [f'configs/{folder}/metafile.yml' for folder in FOLDERS]
    index_readme, top_readme = read('configs/README.md'), read('README.md')
    for folder in FOLDERS:
        assert f']({folder}/README.md)' in index_readme, folder
        assert f'](configs/{folder}/README.md)' in top_readme, folder
