"""tools/demo.py: the digits demo end to end, the CIFAR-10-LT demo on 80 real images per class
(``--smoke``), the fallback to digits where CIFAR-10 can be neither found nor downloaded, and
its flag errors; the demo's configs of mmpretrain's CIFAR10 and of a folder, and ``--smoke`` on
both."""
import importlib.util
import os.path as osp
import subprocess
import sys
from typing import Dict, List

import pytest
from _checkout import REPO, checkout_env
from mmengine.config import Config

TABLE_HEADER = ['model', 'overall', 'many', 'medium', 'few']


def run_demo(*flags: str, timeout: int = 900) -> List[str]:
    """The demo's output lines, run as a user does; it must succeed."""
    result = subprocess.run([sys.executable, 'tools/demo.py', *flags], cwd=REPO,
                            env=checkout_env(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout.splitlines()


def table(lines: List[str], rows: int) -> Dict[str, List[str]]:
    """The ``rows`` lines under the table's header (not the model section of the config the
    Runners log), as row name -> the four cells."""
    header = next(i for i, line in enumerate(lines) if line.split() == TABLE_HEADER)
    cells = [line.rsplit(maxsplit=4) for line in lines[header + 1:header + 1 + rows]]
    return {name: values for name, *values in cells}


def load_demo():
    spec = importlib.util.spec_from_file_location('demo', osp.join(REPO, 'tools', 'demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits(tmp_path):
    lines = run_demo('--digits', '--work-dir', str(tmp_path), timeout=600)
    rows = table(lines, 3)
    assert list(rows) == ['baseline (linear)', 'de-confound (alpha=0)',
                          'de-confound-TDE (alpha=1)'], lines
    for name, values in rows.items():
        assert all(0 <= float(value) <= 100 for value in values), (name, values)  # NaN fails
    assert rows['de-confound (alpha=0)'] != rows['de-confound-TDE (alpha=1)']
    assert any(line.startswith("long-tailed digits, the pipeline (not the paper's effect")
               and line.endswith('304 training images, per class 0-9: '
                                 '[124, 74, 44, 26, 16, 9, 5, 3, 2, 1]') for line in lines)
    assert 'groups by training images: many-shot > 100, medium-shot 20..100, few-shot < 20' \
        in lines


def test_cifar10_on_a_tiny_folder(cifar10_jpg_tiny, tmp_path):
    """``--data DIR --smoke``: the CIFAR-10-LT protocol end to end on 80 real images per class."""
    lines = run_demo('--data', cifar10_jpg_tiny, '--smoke', '--seed', '1', '--work-dir',
                     str(tmp_path))
    # tiny_data_options: head 30 images, ratio 10, so int(30 * 10 ** (-i / 9)) images
    assert any(line.startswith('CIFAR-10-LT, --smoke (a check of the pipeline, not a result; '
                               'seed 1, ') and line.endswith(
        'min): 118 training images, per class: [30, 23, 17, 13, 10, 8, 6, 5, 3, 3]')
        for line in lines), lines
    rows = table(lines, 4)
    assert list(rows) == ['baseline (linear)', 'linear + logit adjustment (t=1)',
                          'de-confound (alpha=0)', 'de-confound-TDE (alpha=1)']
    for name, (overall, many, medium, few) in rows.items():
        assert many == '-', name  # no class has > 100 training images
        assert all(0 <= float(value) <= 100 for value in (medium, few, overall)), name
    assert osp.isfile(tmp_path / 'alpha_sweep.png')
    assert f'alpha sweep (paper Fig. 4): {tmp_path / "alpha_sweep.png"}' in lines


def test_without_cifar10_it_says_so_in_one_line_and_runs_digits(monkeypatch, capsys, tmp_path):
    demo = load_demo()

    def no_cifar10(**kwargs):  # what mmpretrain's CIFAR10 raises offline without the data
        raise RuntimeError(f"Cannot find CIFAR10 dataset in {kwargs['data_root']}")

    digits_runs = []
    monkeypatch.setattr(demo, 'CIFAR10', no_cifar10)
    monkeypatch.setattr(demo, 'digits', digits_runs.append)
    demo.main(['--work-dir', str(tmp_path)])
    assert capsys.readouterr().out.splitlines() == [
        'CIFAR-10 is not under data/cifar10 and could not be downloaded (RuntimeError), so this '
        "runs the long-tailed digits demo instead (the pipeline, not the paper's effect); for "
        'CIFAR-10-LT give --data DIR, a folder of class folders of images']
    assert digits_runs == [str(tmp_path)]


def test_cifar10_of_mmpretrain_in_the_configs(monkeypatch):
    """Without --data the demo trains the ``array`` configs: the long-tailed subsets of
    mmpretrain's CIFAR10 arrays (RGB, no image files) on the demo's budget (no download)."""
    demo = load_demo()
    monkeypatch.setattr(demo, 'CIFAR10', lambda **kwargs: None)  # found
    configs, options = demo.cifar10_setup(None, smoke=False)
    assert options == {}
    assert configs == {row: osp.join(REPO, 'configs', 'cifar10_jpg_lt', f'{row}_resnet8_1xb128-'
                                     'onecycle-6e_cifar10-array-lt-r100.py')
                       for row in ('linear', 'deconfound')}
    linear, cfg = (Config.fromfile(configs[row]) for row in ('linear', 'deconfound'))
    assert (linear.model.head.classifier, cfg.model.head.classifier) == ('linear', 'deconfound')
    assert (cfg.model.backbone.depth, cfg.train_cfg.max_epochs) == (8, 6)
    assert cfg.param_scheduler[0].total_steps == 6 and cfg.data_preprocessor.to_rgb is False
    assert cfg.param_scheduler[0].type == 'OneCycleLR'
    for loader, subset, first in (('train_dataloader', 'train', 'RandomCrop'),
                                  ('val_dataloader', 'val', 'PackInputs'),
                                  ('test_dataloader', 'test', 'PackInputs')):
        # loaded in the training process, on either data source
        assert (cfg[loader].num_workers, cfg[loader].persistent_workers) == (0, False)
        long_tailed = cfg[loader].dataset
        assert long_tailed.type == 'LongTailedDataset'
        assert long_tailed.get('subset', 'train') == subset
        assert (long_tailed.imbalance_ratio, long_tailed.held_out_per_class,
                long_tailed.val_per_class) == (100, 500, 250)
        source = long_tailed.dataset
        assert (source.type, source.data_root, source.split) == ('CIFAR10', 'data/cifar10',
                                                                 'train')
        assert source.pipeline[0].type == first and source.pipeline[-1].type == 'PackInputs'


@pytest.mark.parametrize('source', ['array', 'jpg'])
def test_smoke_shrinks_the_long_tailed_subset_of_either_source(source, tmp_path, monkeypatch):
    demo = load_demo()
    monkeypatch.setattr(demo, 'CIFAR10', lambda **kwargs: None)  # found
    configs, options = demo.cifar10_setup(None if source == 'array' else str(tmp_path),
                                          smoke=True)
    cfg = Config.fromfile(configs['deconfound'])
    cfg.merge_from_dict(options)
    assert (cfg.train_cfg.max_epochs, cfg.param_scheduler[0].total_steps) == (1, 1)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        long_tailed = cfg[loader].dataset if source == 'array' else cfg[loader].dataset.dataset
        assert (long_tailed.type, long_tailed.imbalance_ratio, long_tailed.max_per_class,
                long_tailed.held_out_per_class, long_tailed.val_per_class) == (
                    'LongTailedDataset', 10, 30, 50, 25)
        data_root = long_tailed.dataset.data_root
        assert data_root == ('data/cifar10' if source == 'array' else str(tmp_path))


@pytest.mark.parametrize('flags, message', [
    (['--data', 'no/such/folder'], 'argument --data: no/such/folder is no folder'),
    (['--digits', '--smoke'], 'argument --smoke: it shrinks the CIFAR-10-LT demo'),
    (['--digits', '--data', '.'], 'argument --data: not allowed with argument --digits'),
])
def test_bad_flags_are_named(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_demo().main(flags)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
