import json

import pytest

from mmcausal.apis.long_runs import check_settings, epochs_done, logged_iterations, throughput


def test_epochs_done_reads_mmengines_last_checkpoint(tmp_path):
    assert epochs_done(str(tmp_path)) == 0
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_30.pth'))
    assert epochs_done(str(tmp_path)) == 30


def test_throughput_from_the_logs_of_every_run(tmp_path):
    # two runs (an interrupted one resumed): 3 training entries, one validation entry
    for run, entries in (('20260101_000000', [(10, 1, 0.5, 0.1), (20, 1, 0.7, 0.1)]),
                         ('20260102_000000', [(30, 2, 0.6, 0.3)])):
        folder = tmp_path / run / 'vis_data'
        folder.mkdir(parents=True)
        lines = [dict(lr=0.1, iter=i, epoch=e, time=t, data_time=d) for i, e, t, d in entries]
        lines.append({'accuracy/top1': 50.0, 'step': 1})
        (folder / 'scalars.json').write_text('\n'.join(map(json.dumps, lines)) + '\n')
    assert [entry['iter'] for entry in logged_iterations(str(tmp_path))] == [10, 20, 30]
    # median 0.6 s and 0.1 s per iteration, 30 iterations of 256 images
    assert throughput(str(tmp_path), 256) == pytest.approx(
        dict(images_per_s=256 / 0.6, time=0.6, data_time=0.1, hours=30 * 0.6 / 3600))


def test_check_settings_records_then_refuses_others(tmp_path):
    work_dir = str(tmp_path / 'run')
    check_settings(work_dir, dict(precision='bf16', epochs=200))
    check_settings(work_dir, dict(precision='bf16', epochs=200))  # a resume
    with pytest.raises(SystemExit, match='rerun with the same arguments to resume'):
        check_settings(work_dir, dict(precision='fp32', epochs=200))
