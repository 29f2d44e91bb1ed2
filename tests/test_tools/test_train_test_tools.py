"""tools/train.py, tools/test.py and tools/dist_train.sh on the demo's digits config, for real.

Each test runs the tool as a user does, in a subprocess, for a few short epochs on the CPU; the
command-line errors and what each flag sets in the config (``--alpha`` also on an LVIS config)
are checked by calling the tool's functions in this process; tools/slurm_test.sh with a stand-in
``srun``.
"""
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from _checkout import REPO, TESTS, checkout_env
from _dist import free_port
from _tools import load_script
from mmengine import load
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import mmcausal  # noqa: F401  (registers LongTailedDataset, SklearnDigits)

CONFIG = osp.join(REPO, 'configs', 'digits_lt', 'deconfound_resnet8_1xb32-30e_digits-lt-r100.py')
PAPER_CONFIG = osp.join(REPO, 'configs', 'cifar_lt',
                        'deconfound-tde_resnet32_1xb256-200e_cifar10-lt-r100.py')
LVIS_CONFIG = osp.join(REPO, 'configs', 'lvis',
                       'deconfound-tde_cascade-mask-rcnn_r101_fpn_8xb2-20e_lvis-v0.5.py')


def epochs(n: int) -> list:
    return [f'train_cfg.max_epochs={n}', f'param_scheduler.end={n}']


def run_tool(*command: str, timeout: int = 300, **env) -> subprocess.CompletedProcess:
    """Run a tool from the repository root with the checkout's code (and ``tests/``, for
    ``_rank_directions``) first on PYTHONPATH, one thread per process (tiny models)."""
    return subprocess.run(command, cwd=REPO, env=checkout_env(TESTS, OMP_NUM_THREADS='1', **env),
                          capture_output=True, text=True, timeout=timeout)


def run(*command: str, timeout: int = 300, **env) -> str:
    """:func:`run_tool`; returns its output, fails the test on an error."""
    result = run_tool(*command, timeout=timeout, **env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{" ".join(command)} failed:\n{output[-5000:]}'
    return output


def only(pattern: str) -> str:
    """The one file matching ``pattern``."""
    matches = glob.glob(pattern)
    assert len(matches) == 1, f'expected one {pattern}, found {matches}'
    return matches[0]


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> str:
    """Three epochs of tools/train.py on the digits config (one leaves a constant classifier)."""
    work_dir = tmp_path_factory.mktemp('train')
    run(sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir),
        '--cfg-options', *epochs(3))
    return str(work_dir / 'epoch_3.pth')


def test_train_saves_the_head_direction(checkpoint):
    state = torch.load(checkpoint, map_location='cpu')
    direction = state['state_dict']['head.classifier.direction.direction']
    assert direction.shape == (64, ) and direction.abs().sum() > 0
    assert state['meta']['epoch'] == 3


def test_test_tool_changes_alpha_without_retraining(checkpoint, tmp_path):
    metrics, scores = {}, {}
    for alpha in (0.0, 2.0):
        work_dir, out = tmp_path / f'alpha{alpha}', tmp_path / f'alpha{alpha}.pkl'
        output = run(sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
                     str(work_dir), '--out', str(out), '--alpha', str(alpha))
        assert f'--alpha {alpha}: model.head.alpha = {alpha}\n' in output
        with open(only(str(work_dir / '*' / '*.json'))) as f:
            metrics[alpha] = json.load(f)
        predictions = load(str(out))
        assert len(predictions) == 500  # the 50 held-out digits of each class
        scores[alpha] = torch.stack([p['pred_score'] for p in predictions])

    for alpha, values in metrics.items():
        assert {'long_tail/overall', 'long_tail/many', 'long_tail/medium',
                'long_tail/few'} <= values.keys(), values
        assert all(0 <= values[f'long_tail/{group}'] <= 100
                   for group in ('overall', 'many', 'medium', 'few'))
    assert not torch.allclose(scores[0.0], scores[2.0])  # TDE changed the predictions ...
    assert metrics[0.0] != metrics[2.0]  # ... and so the accuracies

    # --amp: autocast (bf16 on the CPU) moves at most a few of the 500 predictions
    work_dir = tmp_path / 'amp'
    run(sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir', str(work_dir),
        '--alpha', '2.0', '--amp')
    with open(only(str(work_dir / '*' / '*.json'))) as f:
        amp = json.load(f)
    assert amp['long_tail/overall'] == pytest.approx(metrics[2.0]['long_tail/overall'], abs=1)


def test_train_without_validation_in_bf16(tmp_path):
    """``--no-validate --amp`` on the CPU: no val loop, and CPUAmpOptimWrapper's bf16 autocast."""
    if torch.cuda.is_available():
        pytest.skip('--amp is bf16 on the CPU only')
    output = run(sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--amp',
                 '--no-validate', '--no-persistent-workers', '--cfg-options', *epochs(1))
    with open(only(str(tmp_path / '*' / '*.log'))) as f:
        log = f.read()
    assert "type='CPUAmpOptimWrapper'" in log and 'Epoch(val)' not in log, output[-3000:]
    assert 'long_tail/overall' not in log
    assert osp.isfile(tmp_path / 'epoch_1.pth')


def test_dist_train_on_two_cpu_processes(tmp_path):
    """Both ranks end with the same non-zero head direction, the one rank 0 saved."""
    directions = tmp_path / 'directions'
    directions.mkdir()
    config = tmp_path / 'digits_rank_directions.py'
    config.write_text(
        f'_base_ = {CONFIG!r}\n'
        "custom_imports = dict(imports=['mmcausal', '_rank_directions'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='HeadDirectionHook'), "
        f"dict(type='SaveRankDirections', out_dir={str(directions)!r})]\n")
    output = run('bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(tmp_path),
                 '--cfg-options', *epochs(1), 'env_cfg.dist_cfg.backend=gloo',
                 PORT=str(free_port()))
    with open(only(str(tmp_path / '*' / '*.log'))) as f:
        log = f.read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log, output[-3000:]
    state = torch.load(str(tmp_path / 'epoch_1.pth'), map_location='cpu')
    # each of the 2 ranks iterated over half of the training images, 32 at a time
    train = Config.fromfile(CONFIG).train_dataloader
    half = math.ceil(len(DATASETS.build(train.dataset)) / 2)
    assert state['meta']['iter'] == math.ceil(half / train.batch_size)
    saved = state['state_dict']['head.classifier.direction.direction']
    rank0, rank1 = (torch.load(directions / f'rank{rank}.pt') for rank in (0, 1))
    assert list(rank0) == ['head.classifier.direction.direction']
    assert torch.equal(rank0['head.classifier.direction.direction'], saved)
    assert torch.equal(rank1['head.classifier.direction.direction'], saved)
    assert saved.abs().sum() > 0


def test_nccl_on_a_cpu_only_machine_names_the_fix(tmp_path):
    if torch.cuda.is_available():
        pytest.skip('this machine has CUDA, nccl is fine')
    result = run_tool('bash', 'tools/dist_train.sh', CONFIG, '1', '--work-dir', str(tmp_path),
                      PORT=str(free_port()))
    assert result.returncode != 0
    assert 'env_cfg.dist_cfg.backend=gloo' in result.stdout + result.stderr


# ----------------------------------------------------------------- command-line errors
def run_main(tool: str, monkeypatch, *argv: str) -> None:
    """``main()`` of ``tools/{tool}.py`` in this process, with ``argv`` as its arguments."""
    monkeypatch.setattr(sys, 'argv', [f'tools/{tool}.py', *argv])
    load_script(f'tools/{tool}.py').main()


def test_test_out_must_be_a_pickle(checkpoint, tmp_path, monkeypatch):
    out = str(tmp_path / 'predictions.json')
    with pytest.raises(ValueError, match=rf'--out {out}: the predictions are dumped as a '
                       'pickle; give a file name ending in .pkl'):
        run_main('test', monkeypatch, CONFIG, checkpoint, '--work-dir', str(tmp_path),
                 '--out', out)
    assert os.listdir(tmp_path) == []  # refused before the Runner was built


def test_test_names_a_missing_checkpoint(tmp_path, monkeypatch):
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match=rf'checkpoint {missing}: no such file; give a '
                       r'.pth that tools/train.py saved \(e.g. WORK_DIR/epoch_N.pth\) or a URL'):
        run_main('test', monkeypatch, CONFIG, missing, '--work-dir', str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_auto_scale_lr_needs_the_base_batch_size(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r'--auto-scale-lr needs auto_scale_lr=dict\('
                       r'base_batch_size=...\) in the config'):
        run_main('train', monkeypatch, CONFIG, '--work-dir', str(tmp_path), '--auto-scale-lr')
    assert os.listdir(tmp_path) == []


def test_auto_scale_lr_scales_by_the_batch_size(tmp_path):
    """Batch 32 for a base batch size of 64: the configured lr 0.1 becomes 0.05."""
    config = tmp_path / 'digits_base_batch_64.py'
    config.write_text(f'_base_ = {CONFIG!r}\nauto_scale_lr = dict(base_batch_size=64)\n')
    run(sys.executable, 'tools/train.py', str(config), '--work-dir', str(tmp_path / 'work'),
        '--auto-scale-lr', '--cfg-options', *epochs(1))
    state = torch.load(str(tmp_path / 'work' / 'epoch_1.pth'), map_location='cpu')
    assert state['optimizer']['param_groups'][0]['initial_lr'] == pytest.approx(0.05)


# ----------------------------------------------------------------- what each flag sets
def merged(tool: str, monkeypatch, *argv: str) -> Config:
    """The config ``tools/{tool}.py`` runs with the command line ``argv``."""
    monkeypatch.setattr(sys, 'argv', [f'tools/{tool}.py', *argv])
    script = load_script(f'tools/{tool}.py')
    args = script.parse_args()
    return script.merge_args(Config.fromfile(args.config), args)


def test_alpha_on_the_classification_head(monkeypatch, capsys, tmp_path):
    cfg = merged('test', monkeypatch, CONFIG, 'epoch_3.pth', '--work-dir', str(tmp_path),
                 '--alpha', '2.0')
    assert capsys.readouterr().out == '--alpha 2.0: model.head.alpha = 2.0\n'
    init_default_scope('mmpretrain')
    assert MODELS.build(cfg.model).head.classifier.alpha == 2.0


def test_alpha_on_every_stage_of_an_lvis_cascade(monkeypatch, capsys, tmp_path):
    cfg = merged('test', monkeypatch, LVIS_CONFIG, 'epoch_20.pth', '--work-dir', str(tmp_path),
                 '--alpha', '2.0')
    assert capsys.readouterr().out == (
        '--alpha 2.0: model.roi_head.bbox_head.0.alpha = 2.0, '
        'model.roi_head.bbox_head.1.alpha = 2.0, model.roi_head.bbox_head.2.alpha = 2.0\n')
    detectors = pytest.importorskip('mmdet.registry').MODELS
    init_default_scope('mmdet')
    heads = detectors.build(cfg.model).roi_head.bbox_head
    assert [head.fc_cls.alpha for head in heads] == [2.0, 2.0, 2.0]  # the config's are 1.5


def test_alpha_without_a_tde_head_names_the_flag(monkeypatch, tmp_path):
    config = tmp_path / 'digits_linear_cls_head.py'
    config.write_text(f'_base_ = {CONFIG!r}\nmodel = dict(head=dict(_delete_=True, '
                      "type='LinearClsHead', num_classes=10, in_channels=64))\n")
    with pytest.raises(ValueError, match=r'--alpha 1.0: the model has no TDE head \(model.head '
                       r'or model.roi_head.bbox_head of a type in'):
        merged('test', monkeypatch, str(config), 'epoch_3.pth', '--alpha', '1')


def test_amp_is_bf16_on_the_cpu_and_fp16_on_a_gpu(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = merged('train', monkeypatch, CONFIG, '--work-dir', str(tmp_path), '--amp')
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.optimizer == Config.fromfile(CONFIG).optim_wrapper.optimizer
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = merged('train', monkeypatch, CONFIG, '--work-dir', str(tmp_path), '--amp')
    assert (cfg.optim_wrapper.type, cfg.optim_wrapper.loss_scale) == ('AmpOptimWrapper',
                                                                      'dynamic')


def test_dataloader_switches(monkeypatch, tmp_path):
    cfg = merged('train', monkeypatch, CONFIG, '--work-dir', str(tmp_path), '--no-validate',
                 '--no-pin-memory', '--no-persistent-workers')
    assert (cfg.val_cfg, cfg.val_dataloader, cfg.val_evaluator) == (None, None, None)
    for loader in ('train_dataloader', 'test_dataloader'):
        assert (cfg[loader].pin_memory, cfg[loader].persistent_workers) == (False, False)
    cfg = merged('test', monkeypatch, CONFIG, 'epoch_3.pth', '--work-dir', str(tmp_path),
                 '--no-pin-memory', '--amp')
    assert cfg.test_dataloader.pin_memory is False and cfg.test_cfg.fp16 is True


def test_image_folders_replace_the_sources_of_both_tools(monkeypatch, tmp_path,
                                                         cifar10_png_tiny):
    """--image-folders DIR: CIFAR-10 of the paper's config from DIR/train and DIR/test."""
    for tool, argv in (('train', ['--no-validate']), ('test', ['epoch_200.pth'])):
        cfg = merged(tool, monkeypatch, PAPER_CONFIG, *argv, '--work-dir', str(tmp_path),
                     '--image-folders', cifar10_png_tiny)
        assert cfg.data_preprocessor.to_rgb is True
        train = cfg.train_dataloader.dataset  # DecodedImages(LongTailedDataset(CustomDataset))
        assert (train.type, train.dataset.type, train.dataset.dataset.type) == \
            ('DecodedImages', 'LongTailedDataset', 'CustomDataset')
        assert train.dataset.dataset.data_root == f'{cifar10_png_tiny}/train'
        test = cfg.test_dataloader.dataset  # the official test split: DecodedImages(CustomDataset)
        assert (test.type, test.dataset.type, test.dataset.data_root) == \
            ('DecodedImages', 'CustomDataset', f'{cifar10_png_tiny}/test')
    (tmp_path / 'only_train' / 'train').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='no test/ in it; give the folder holding train/'):
        merged('test', monkeypatch, PAPER_CONFIG, 'epoch_200.pth', '--work-dir', str(tmp_path),
               '--image-folders', str(tmp_path / 'only_train'))


def test_slurm_test_runs_the_test_tool_on_every_task(tmp_path):
    srun = tmp_path / 'srun'
    srun.write_text('#!/usr/bin/env bash\necho "srun $*"\n')
    srun.chmod(0o755)
    output = run('bash', 'tools/slurm_test.sh', 'gpu', 'tde-test', CONFIG, 'epoch_3.pth',
                 '--alpha', '2.0', GPUS='16', PATH=f'{tmp_path}:{os.environ["PATH"]}')
    line, = [line for line in output.splitlines() if line.startswith('srun ')]
    assert line == ('srun -p gpu --job-name=tde-test --gres=gpu:8 --ntasks=16 '
                    '--ntasks-per-node=8 --cpus-per-task=5 --kill-on-bad-exit=1 python -u '
                    f'tools/test.py {CONFIG} epoch_3.pth --launcher=slurm --alpha 2.0')
