"""mmcausal's classification path works where mmdet and mmcv's compiled ops cannot be imported,
as on the classification install (mmcv-lite), and a detection config then names the install."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# sys.modules[name] = None makes `import name` raise ImportError and find_spec(name) None.
BLOCK = ("import sys; sys.modules.update({'mmdet': None, 'mmcv._ext': None, 'mmcv.ops': None}); "
         f'sys.path.insert(0, {REPO!r}); ')


def run_blocked(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', BLOCK + code, *args],
                          cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'))


def test_demo_runs_without_mmdet_and_mmcv_ops(tmp_path):
    result = run_blocked(
        "import runpy; sys.argv = ['tools/demo.py', '--work-dir', sys.argv[1]]; "
        "runpy.run_path('tools/demo.py', run_name='__main__'); "
        "assert 'mmcausal.models.roi_heads' not in sys.modules; "
        "from mmpretrain.registry import MODELS; assert MODELS.get('TDEClsHead')",
        str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'de-confound-TDE (alpha=1)' in result.stdout


def test_detection_config_names_the_full_install():
    result = run_blocked(
        'import mmcausal; from mmengine.config import Config; Config.fromfile(sys.argv[1])',
        'configs/lvis/deconfound_cascade-mask-rcnn_r50_fpn_8xb2-20e_lvis-v1.py')
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('ModuleNotFoundError: this config inherits mmdet:: configs')
    assert '`bash tools/install.sh full`' in last


def test_import_leaves_out_sklearn_and_the_runner_builders():
    """scikit-learn only for the digits dataset, when it is used; mmcausal.apis on demand.
    (With detection installed, mmpretrain's own models import mmdet's, which import sklearn.)"""
    result = run_blocked(
        'import mmcausal; '
        "print(sorted(name for name in ('sklearn', 'mmcausal.apis') if name in sys.modules))")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ['[]']
