"""tools/analysis/tde_correction_shape.py: its helpers on hand-made cases, and the script on a
de-confound digits model trained here, checked against the Runner's ``test()``."""
import os.path as osp
import uuid

import numpy as np
import pytest
import torch
from _checkout import REPO
from _tools import load_tool
from mmengine.config import Config
from mmengine.runner import Runner

shape = load_tool('tde_correction_shape')
CONFIG = osp.join(REPO, 'configs', 'digits_lt', 'deconfound_resnet8_1xb32-30e_digits-lt-r100.py')
TRAIN_COUNTS = [124, 74, 44, 26, 16, 9, 5, 3, 2, 1]  # int(124 * 100 ** (-i / 9))
EPOCHS = 5


def test_rank_correlation():
    assert shape.rank_correlation(np.array([1., 2, 3]), np.array([3., 2, 1])) == pytest.approx(-1)
    assert shape.rank_correlation(np.array([1., 3, 2]), np.array([10., 30, 20])) == pytest.approx(1)
    # ranks 0 1 2 3 against 0 2 1 3: 1 - 6 * (1 + 1) / (4 * 15)
    assert shape.rank_correlation(np.array([1., 2, 3, 4]),
                                  np.array([1., 3, 2, 4])) == pytest.approx(0.8)


def test_moved_predictions():
    before = torch.tensor([0, 0, 1, 2, 2, 2])
    after = torch.tensor([0, 1, 1, 0, 0, 1])
    moved = shape.moved_predictions(before, after)
    assert moved[0] == dict(before=2, after=0, samples=2)
    assert sorted((m['before'], m['after'], m['samples']) for m in moved[1:]) == [(0, 1, 1),
                                                                                  (2, 1, 1)]
    assert shape.moved_predictions(before, after, most=1) == moved[:1]


def runner(work_dir: str, **options) -> Runner:
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(work_dir=work_dir, experiment_name=uuid.uuid4().hex,
                             log_level='ERROR', **options))
    return Runner.from_cfg(cfg)


def test_script_on_a_trained_model(tmp_path):
    runner(str(tmp_path), **{'train_cfg.max_epochs': EPOCHS,
                             'param_scheduler.end': EPOCHS}).train()
    checkpoint = str(tmp_path / f'epoch_{EPOCHS}.pth')
    out = tmp_path / 'shape.json'
    result = shape.main([CONFIG, checkpoint, '--split', 'test', '--alpha', '1',
                         '--grid', '0,1', '--out', str(out)])

    assert [row['train_count'] for row in result['classes']] == TRAIN_COUNTS
    tested = {alpha: runner(str(tmp_path / f'test{alpha}'), load_from=checkpoint,
                            **{'model.head.alpha': alpha}).test()['long_tail/overall']
              for alpha in (0.0, 1.0)}
    tde = result['sweeps']['tde']
    assert [s['overall'] for s in tde] == pytest.approx([tested[0.0], tested[1.0]], abs=1e-6)
    # at v = 0 the three corrections are the de-confound model itself
    for sweep in result['sweeps'].values():
        assert sweep[0]['overall'] == pytest.approx(tested[0.0], abs=1e-6)
    # the test split is balanced (50 images per class): overall top-1 is the mean over classes
    for key, alpha in (('top1_alpha0', 0.0), ('top1_alpha', 1.0)):
        assert np.mean([row[key] for row in result['classes']]) == pytest.approx(tested[alpha])
    assert -1 <= result['spearman_mean_c_log_frequency'] <= 1
    assert sum(m['samples'] for m in result['moved']) <= 500
    assert out.exists()
