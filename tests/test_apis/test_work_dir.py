"""mmcausal/apis/work_dir.py: the work directory of the tools, by OpenMMLab's order."""
import os.path as osp

from mmengine.config import Config

from mmcausal.apis import default_work_dir, runner_work_dir

CONFIG = osp.join('configs', 'digits_lt', 'deconfound_resnet8_1xb32-30e_digits-lt-r100.py')


def test_default_work_dir_is_named_after_the_config():
    assert default_work_dir(CONFIG) == osp.join('work_dirs', 'deconfound_resnet8_1xb32-30e_'
                                                'digits-lt-r100')
    assert default_work_dir('/abs/path/my.config.py') == osp.join('work_dirs', 'my.config')


def test_runner_work_dir_prefers_the_command_line_then_the_config():
    assert runner_work_dir(Config(), CONFIG) == default_work_dir(CONFIG)
    assert runner_work_dir(Config(dict(work_dir='from_config')), CONFIG) == 'from_config'
    assert runner_work_dir(Config(dict(work_dir='from_config')), CONFIG, 'flag') == 'flag'
    assert runner_work_dir(Config(), CONFIG, 'flag') == 'flag'
