"""mmcausal.compat: each probe against its bug, the off switch, OpenMMLab checkpoints under
weights-only torch.load, LVISEval on NumPy 2, ``mmcausal::`` configs and dataset subsets."""
import copy
import io
import json
import os
import os.path as osp
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler
from mmengine.registry import PARAM_SCHEDULERS
from mmengine.runner import Runner, load_checkpoint

import mmcausal  # noqa: F401  (applies the compat fixes)
from mmcausal import compat

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


class ToyRegressor(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, labels, mode='tensor'):
        out = self.fc(inputs).squeeze(1)
        if mode == 'loss':
            return dict(loss=((out - labels)**2).mean())
        return [dict(pred=o, label=t) for o, t in zip(out, labels)]


class MeanSquaredError(BaseMetric):

    def process(self, data_batch, data_samples) -> None:
        self.results.extend(float((s['pred'] - s['label'])**2) for s in data_samples)

    def compute_metrics(self, results) -> dict:
        return dict(mse=sum(results) / len(results))


def make_runner(work_dir,
                optimizer: Optional[dict] = None,
                optim_wrapper_type: str = 'OptimWrapper',
                **kwargs) -> Runner:
    torch.manual_seed(0)
    data = [dict(inputs=torch.randn(2), labels=torch.randn(())) for _ in range(8)]
    loader = dict(dataset=data, sampler=dict(type='DefaultSampler', shuffle=False), batch_size=4,
                  collate_fn=dict(type='default_collate'))
    return Runner(model=ToyRegressor(), work_dir=str(work_dir), train_dataloader=loader,
                  optim_wrapper=dict(
                      type=optim_wrapper_type,
                      optimizer=optimizer or dict(type='SGD', lr=0.1, momentum=0.9)),
                  train_cfg=dict(by_epoch=True, max_epochs=kwargs.pop('max_epochs', 1)),
                  test_dataloader=loader, test_cfg=dict(),
                  test_evaluator=dict(type=MeanSquaredError), default_hooks=dict(logger=None),
                  **kwargs)


def test_checkpoint_round_trip_is_weights_only(tmp_path):
    runner = make_runner(tmp_path / 'train')
    runner.train()
    ckpt = tmp_path / 'train' / 'epoch_1.pth'
    trained = copy.deepcopy(runner.model.state_dict())

    # The message hub in the checkpoint holds HistoryBuffers, NumPy arrays and scalars.
    raw = torch.load(ckpt, weights_only=True)
    assert isinstance(raw['message_hub']['log_scalars']['train/loss'], HistoryBuffer)

    # load_checkpoint (test / load_from) restores the weights exactly.
    fresh = ToyRegressor()
    load_checkpoint(fresh, str(ckpt))
    for key, value in trained.items():
        assert torch.equal(fresh.state_dict()[key], value)

    # Resume continues from epoch 1 with the saved weights and optimizer state.
    resumed = make_runner(tmp_path / 'resume', max_epochs=2, resume=True, load_from=str(ckpt))
    resumed.load_or_resume()
    assert resumed.epoch == 1 and resumed.iter == 2
    assert resumed.optim_wrapper.optimizer.state_dict()['state']  # momentum buffers are back
    for key, value in trained.items():
        assert torch.equal(resumed.model.state_dict()[key], value)
    resumed.train()
    assert resumed.epoch == 2

    # Testing from the checkpoint gives the error of the trained weights.
    tester = make_runner(tmp_path / 'test', load_from=str(ckpt))
    mse = tester.test()['mse']
    with torch.no_grad():
        preds = [fresh.fc(s['inputs']).item() for s in tester.test_dataloader.dataset]
    labels = [s['labels'].item() for s in tester.test_dataloader.dataset]
    assert mse == pytest.approx(np.mean([(p - t)**2 for p, t in zip(preds, labels)]), rel=1e-6)


class _CallsGetattr:
    """Pickles as builtins.getattr(target, name), as a malicious checkpoint could."""

    def __init__(self, target, name):
        self.target, self.name = target, name

    def __reduce__(self):
        return getattr, (self.target, self.name)


@pytest.mark.parametrize('target, name', [(HistoryBuffer, '__init__'), (np.ndarray, 'tofile'),
                                          (OneCycleParamScheduler, 'step')])
def test_getattr_is_allowed_only_on_the_stored_methods(target, name):
    buffer = io.BytesIO()
    torch.save({'x': _CallsGetattr(target, name)}, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match='getattr only on the methods'):
        torch.load(buffer, weights_only=True)


# Arguments that build each family of mmengine's LR and momentum schedulers for 4 iterations.
SCHEDULER_ARGS = dict(
    Constant=dict(), CosineAnnealing=dict(T_max=4), Exponential=dict(gamma=0.9), Linear=dict(),
    MultiStep=dict(milestones=[2]), Poly=dict(), Step=dict(step_size=2),
    CosineRestart=dict(periods=[4], restart_weights=[1], eta_min=0.0),
    OneCycle=dict(eta_max=0.2, total_steps=4),
    ReduceOnPlateau=dict(monitor='loss', by_epoch=True))  # the only one that needs epochs
SCHEDULERS = sorted(name for name in PARAM_SCHEDULERS.module_dict
                    if name.endswith(('LR', 'Momentum')))


def test_every_lr_and_momentum_scheduler_is_covered():
    assert {name.replace('LR', '').replace('Momentum', '') for name in SCHEDULERS} \
        == set(SCHEDULER_ARGS)
    assert len(SCHEDULERS) == 19  # mmengine 0.10.7: 10 LR, 9 momentum (no OneCycleMomentum)


def round_trip(tmp_path, optimizer: dict, **kwargs) -> None:
    """Train 2 epochs, then load_checkpoint, resume and test from the checkpoint, weights-only."""
    runner = make_runner(tmp_path / 'train', max_epochs=2, optimizer=optimizer, **kwargs)
    runner.train()
    ckpt = str(tmp_path / 'train' / 'epoch_1.pth')
    saved = torch.load(ckpt, weights_only=True)
    fresh = ToyRegressor()
    load_checkpoint(fresh, ckpt)
    for key, value in saved['state_dict'].items():
        assert torch.equal(fresh.state_dict()[key], value)
    resumed = make_runner(tmp_path / 'resume', max_epochs=2, optimizer=optimizer, resume=True,
                          load_from=ckpt, **kwargs)
    resumed.call_hook('before_run')  # as Runner.train does before resuming (EMAHook needs it)
    resumed.load_or_resume()
    assert resumed.epoch == 1 and resumed.iter == 2
    for scheduler, state in zip(resumed.param_schedulers, saved['param_schedulers']):
        assert scheduler.last_step == state['last_step']
        assert scheduler._last_value == state['_last_value']
    resumed.train()
    assert resumed.epoch == 2
    make_runner(tmp_path / 'test', load_from=ckpt).test()


@pytest.mark.parametrize('scheduler', SCHEDULERS)
def test_scheduler_checkpoints_load_weights_only(tmp_path, scheduler):
    family = scheduler.replace('LR', '').replace('Momentum', '')
    round_trip(tmp_path, dict(type='SGD', lr=0.1, momentum=0.9),
               param_scheduler=dict(dict(type=scheduler, by_epoch=False), **SCHEDULER_ARGS[family]))


@pytest.mark.parametrize('optimizer', ['SGD', 'Adam', 'AdamW', 'RMSprop'])
def test_optimizer_and_ema_checkpoints_load_weights_only(tmp_path, optimizer):
    round_trip(tmp_path, dict(type=optimizer, lr=0.01),
               param_scheduler=dict(type='OneCycleLR', eta_max=0.02, total_steps=4,
                                    by_epoch=False),
               custom_hooks=[dict(type='EMAHook')])


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="mmengine's AmpOptimWrapper refuses to run without a GPU")
def test_amp_checkpoints_load_weights_only(tmp_path):
    round_trip(tmp_path, dict(type='SGD', lr=0.1, momentum=0.9),
               optim_wrapper_type='AmpOptimWrapper')


def test_foreign_type_is_refused_with_the_trust_switch(tmp_path, monkeypatch):
    ckpt = tmp_path / 'foreign.pth'
    torch.save(dict(state_dict=ToyRegressor().state_dict(), meta=dict(when=Path('x'))), ckpt)
    with pytest.raises(pickle.UnpicklingError) as refused:
        load_checkpoint(ToyRegressor(), str(ckpt))
    message = str(refused.value)
    assert 'pathlib.PosixPath' in message and 'MMCAUSAL_TRUST_CHECKPOINTS=1' in message
    monkeypatch.setenv('MMCAUSAL_TRUST_CHECKPOINTS', '1')
    assert load_checkpoint(ToyRegressor(), str(ckpt))['meta']['when'] == Path('x')


def test_numpy_keeps_no_float_alias():
    import lvis.eval
    assert not hasattr(np, 'float')  # the fix is local to lvis.eval
    assert lvis.eval.np.float is float
    assert lvis.eval.np.cumsum is np.cumsum


def _lvis_gt():
    images = [dict(id=i, width=100, height=100, not_exhaustive_category_ids=[],
                   neg_category_ids=[]) for i in (1, 2)]
    categories = [dict(id=1, name='a', frequency='f'), dict(id=2, name='b', frequency='r')]
    boxes = [(1, 1, [10, 10, 20, 20]), (1, 1, [50, 50, 30, 30]), (2, 2, [5, 5, 40, 40])]
    annotations = [dict(id=i + 1, image_id=img, category_id=cat, bbox=box, area=box[2] * box[3],
                        segmentation=[[box[0], box[1], box[0] + box[2], box[1], box[0] + box[2],
                                       box[1] + box[3], box[0], box[1] + box[3]]])
                   for i, (img, cat, box) in enumerate(boxes)]
    return dict(images=images, categories=categories, annotations=annotations)


def _lvis_ap(tmp_path, detections):
    import json

    from lvis import LVIS, LVISEval, LVISResults
    (tmp_path / 'gt.json').write_text(json.dumps(_lvis_gt()))
    gt = LVIS(str(tmp_path / 'gt.json'))
    evaluator = LVISEval(gt, LVISResults(gt, detections), iou_type='bbox')
    evaluator.run()
    return evaluator.get_results()


def test_lvis_eval_runs_on_numpy_2_with_known_ap(tmp_path):
    perfect = [dict(image_id=a['image_id'], category_id=a['category_id'], bbox=a['bbox'],
                    score=0.9) for a in _lvis_gt()['annotations']]
    results = _lvis_ap(tmp_path, perfect)
    assert results['AP'] == pytest.approx(1.0)
    assert results['APf'] == pytest.approx(1.0) and results['APr'] == pytest.approx(1.0)

    # Category 'a': a higher-scored false positive, then one of its two boxes found.
    # Precision 1/2 at recall 1/2 and nothing beyond: 51 of LVIS's 101 recall points hold 0.5.
    # Category 'b' is found perfectly (AP 1). Mean over the two categories:
    half = [dict(image_id=1, category_id=1, bbox=[70, 0, 10, 10], score=0.95),
            dict(image_id=1, category_id=1, bbox=[10, 10, 20, 20], score=0.9),
            dict(image_id=2, category_id=2, bbox=[5, 5, 40, 40], score=0.9)]
    results = _lvis_ap(tmp_path, half)
    assert results['APf'] == pytest.approx(51 * 0.5 / 101)
    assert results['AP'] == pytest.approx((51 * 0.5 / 101 + 1.0) / 2)


def test_package_configs_resolve_from_an_editable_install(tmp_path):
    from mmengine.config import Config
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'mmcausal::_base_/default_runtime.py'\n")
    cfg = Config.fromfile(str(child))
    assert cfg.custom_imports['imports'] == ['mmcausal']


def test_dataset_subsets_get_their_own_copies():
    """mmengine's ``get_subset`` shares one default memo across calls: without the fix the second
    subset reuses the first one's pipeline, and a freed dataset's copy can stand in for a new
    object at its address (a pipeline that is a dataset)."""
    from mmcausal.datasets import SklearnDigits
    digits = SklearnDigits(pipeline=[dict(type='PackInputs')])
    first, second = digits.get_subset([0]), digits.get_subset([5])
    assert first.pipeline is not second.pipeline
    assert first.pipeline is not digits.pipeline
    assert [len(first), len(second)] == [1, 1]
    assert first[0]['data_samples'].gt_label.item() == digits.get_data_info(0)['gt_label']
    assert second[0]['data_samples'].gt_label.item() == digits.get_data_info(5)['gt_label']


# Run with MMCAUSAL_COMPAT=0 in a fresh interpreter: what `import mmcausal` changed, each probe's
# answer, and whether each bug shows (the stock stack, exercised as a user would meet the bug).
# It runs outside the checkout, as a user's project does: there pkg_resources finds the editable
# install's metadata, not the checkout's mmcausal.egg-info.
SWITCHED_OFF = r"""
import json, sys, tempfile, warnings
from pathlib import Path
# What mmcausal imports is imported first, so that only mmcausal's own changes count.
import lvis.eval, mmpretrain.models, torch
import mmengine.config.config as config_module
from importlib.util import find_spec
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.dataset import BaseDataset
from mmengine.runner import CheckpointLoader
if find_spec('mmdet') and find_spec('mmcv._ext'):
    import mmdet.models

def state():
    return dict(checkpoint_loaders=dict(CheckpointLoader._schemes),
                get_installed_path=config_module.get_installed_path,
                is_installed=config_module.is_installed, MODULE2PACKAGE=dict(MODULE2PACKAGE),
                BaseDataset=dict(vars(BaseDataset)), warning_filters=list(warnings.filters),
                safe_globals=list(torch.serialization.get_safe_globals()),
                lvis_numpy=lvis.eval.np)

def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(a[key] is b[key] for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b))
    return a is b

before = state()
import mmcausal
after = state()
changed = [name for name in before if not same(before[name], after[name])]

from mmcausal.compat import FIXES
probes = {fix.name: fix.probe() for fix in FIXES}

def shows(bug, error=Exception):
    try:
        bug()
    except error:
        return True
    return False

sys.path.insert(0, sys.argv[1])  # tests/, for its helpers
import pickle
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from test_compat import ToyRegressor, _lvis_ap, _lvis_gt, make_runner
from mmpretrain.datasets.transforms import PackInputs
from mmcausal.datasets import SklearnDigits
tmp = Path(tempfile.mkdtemp())
make_runner(tmp / 'train').train()
child = tmp / 'child.py'
child.write_text("_base_ = 'mmcausal::_base_/default_runtime.py'\n")
perfect = [dict(image_id=a['image_id'], category_id=a['category_id'], bbox=a['bbox'],
                score=0.9) for a in _lvis_gt()['annotations']]
digits = SklearnDigits(pipeline=[PackInputs()])
bugs = {
    'weights-only checkpoints': shows(
        lambda: load_checkpoint(ToyRegressor(), str(tmp / 'train' / 'epoch_1.pth')),
        pickle.UnpicklingError),
    'lvis on NumPy 2': shows(lambda: _lvis_ap(tmp, perfect), AttributeError),
    'mmcausal:: configs': shows(lambda: Config.fromfile(str(child)), AssertionError),
    'dataset subsets': digits.get_subset([0]).pipeline is digits.get_subset([5]).pipeline,
}
MODULE2PACKAGE['mmcausal'] = 'mmcausal'  # past the one bug, to meet the next
bugs['editable installs'] = shows(lambda: Config.fromfile(str(child)))
print(json.dumps(dict(changed=changed, probes=probes, bugs=bugs)))
"""


@pytest.fixture(scope='module')
def switched_off(tmp_path_factory):
    result = subprocess.run([sys.executable, '-c', SWITCHED_OFF, osp.join(REPO, 'tests')],
                            cwd=tmp_path_factory.mktemp('user_project'), capture_output=True,
                            text=True, timeout=600, env=dict(os.environ, MMCAUSAL_COMPAT='0'))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_switch_off_leaves_the_stack_as_it_was(switched_off):
    """mmengine's checkpoint loaders, config helpers and MODULE2PACKAGE, every attribute of
    BaseDataset, torch's allow-list, lvis.eval's numpy and the warning filters: the same objects
    before and after `import mmcausal`."""
    assert switched_off['changed'] == []


def test_each_probe_finds_its_bug_where_it_shows(switched_off):
    probes, bugs = switched_off['probes'], switched_off['bugs']
    assert set(probes) == {fix.name for fix in compat.FIXES}
    for name, shows in bugs.items():
        assert probes[name] is shows, name
    # The tested stack (tools/install.sh full) has these: torch 2.14 loads weights-only by
    # default and mmengine 0.10.7 passes no weights_only; lvis 0.5.3 uses np.float, gone from
    # NumPy 2; mmengine 0.10.7's MODULE2PACKAGE lacks mmcausal, its get_installed_path misses
    # the editable install, and its get_subset shares one memo.
    for name in ('weights-only checkpoints', 'lvis on NumPy 2', 'mmcausal:: configs',
                 'editable installs', 'dataset subsets'):
        assert bugs[name] and probes[name], name
    # It has mmdet and mmcv's compiled ops; tests/test_classification_without_detection.py
    # blocks them and checks the message this fix gives.
    assert probes['mmdet:: configs without detection'] is False


def test_fixed_bugs_are_not_found_again():
    assert {fix.name: fix.probe() for fix in compat.FIXES} \
        == {fix.name: False for fix in compat.FIXES}
    assert compat.apply() == []  # idempotent


@pytest.mark.parametrize('value, enabled', [(None, True), ('1', True), ('0', False)])
def test_switch_values(monkeypatch, value, enabled):
    if value is None:
        monkeypatch.delenv('MMCAUSAL_COMPAT', raising=False)
    else:
        monkeypatch.setenv('MMCAUSAL_COMPAT', value)
    assert compat.enabled() is enabled


def test_switch_refuses_other_values(monkeypatch):
    monkeypatch.setenv('MMCAUSAL_COMPAT', 'off')
    with pytest.raises(ValueError, match="MMCAUSAL_COMPAT='off'.*set it to 0"):
        compat.apply()
