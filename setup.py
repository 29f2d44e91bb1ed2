"""mmcausal: de-confounded training and TDE inference for mmpretrain and mmdet."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    namespace: dict = {}
    with open(osp.join('mmcausal', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``fname``, without comments."""
    with open(fname) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


def add_mim_extension() -> None:
    """Ship configs/, tools/ and model-index.yml in the package as mmcausal/.mim, as mmyolo does.

    That lets ``mim`` and other projects inherit ``mmcausal::`` configs. An editable install
    (``pip install -e .`` / ``develop``) links the folders; a wheel copies them.
    """
    if 'develop' in sys.argv or any('editable' in arg for arg in sys.argv):
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(osp.dirname(__file__), 'mmcausal', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src, dst = osp.join(osp.dirname(__file__), name), osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst, target_is_directory=osp.isdir(src))
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmcausal',
        version=get_version(),
        description='Causal long-tailed recognition (de-confounded training + TDE inference) '
        'for OpenMMLab',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='long-tailed recognition, causal inference, TDE, mmpretrain, mmdet',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
        include_package_data=True,
        package_data={'mmcausal': ['.mim/model-index.yml', '.mim/configs/**/*', '.mim/tools/**/*']},
        python_requires='>=3.8',
        license='Apache License 2.0',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'mim': parse_requirements('requirements/mminstall.txt'),
            'detection': parse_requirements('requirements/detection.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
            'tests': parse_requirements('requirements/tests.txt'),
        },
        zip_safe=False)
