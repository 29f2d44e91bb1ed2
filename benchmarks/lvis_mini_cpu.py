"""LVIS-mini on the CPU: the paper's LVIS rows (Tables 4 and 5) on real pixels, resumable.

    bash benchmarks/lvis_mini_cpu.sh [--data DIR] [--seeds S ...] [--work-dir DIR] [--out DIR]
        [--smoke]

``--data`` is LVIS-mini as ``tools/dataset_converters/lvis_mini.py`` writes it (default
``data/lvis_mini``, the configs' data root)::

    python tools/dataset_converters/lvis_mini.py --fashion-mnist DIR --backgrounds DIR \\
        --out data/lvis_mini

For each seed it trains the ``linear``, ``deconfound`` and ``seesaw`` configs of
``configs/lvis_mini/`` (Cascade Mask R-CNN, ResNet-18 at width 16, 4 epochs of one-cycle, from
scratch), then scores these rows with mmdet's ``LVISMetric`` on the test split:

``linear``, ``deconfound``, ``seesaw``
    each checkpoint with its config (``deconfound``: the de-confounded logits, alpha = 0);
``deconfound-tde``
    the de-confound checkpoint with its ``-tde`` config: TDE at the paper's alpha = 1.5, the
    background exempted (Eq. 9);
``deconfound-tde-val``
    the same with the alpha of :data:`ALPHAS` whose mask AP on val is the highest (the
    ``-tde`` config, ``alpha`` set in its three stages);
``deconfound-tde-no-exemption``
    its ``-tde-no-exemption`` config: alpha = 1.5, softmax(TDE) for the background too
    (Table 5);
``random``
    :data:`RANDOM_PER_IMAGE` random boxes per test image (box-shaped masks, random categories and
    scores): what a detector that learned nothing scores.

Resumable: the same command continues each model from its last checkpoint (one per epoch,
mmengine's resume) and keeps every score in ``WORK_DIR/scores.json`` as soon as it is measured,
so a rerun trains and scores only what is missing. The settings that change results (data,
epochs, smoke) are recorded in the work directory and a rerun with other settings is refused;
more ``--seeds`` may be added. Each run trains with one thread, so on 2 cores two runs at once
with other ``--seeds`` and the same ``--work-dir`` use both (scores of both are kept); the
command with all the seeds then writes the table from what they left. ``--smoke``: 1 epoch and
two alphas on val, for a dry run on a tiny generated set.

What changes against ``tools/train.py CONFIG`` is speed only: one torch thread (on 2 cores shared
with other jobs one iteration took 12.5 s of wall clock with 2 threads, 1.5 s with one: the
threads wait for each other), one dataloader worker for training and none for testing, no
validation during training (val is scored afterwards), the last 2 checkpoints kept.

Into ``--out`` (default ``benchmarks/results``; smoke: the work directory) it writes
``lvis_mini_cpu.json``: ``rows`` (per row, lists over seeds of :data:`METRICS` in %, LVIS's
``lvis/segm_AP`` ... as ``segm_AP`` ...; the TDE rows also ``alpha``), ``val`` (per seed the
mask and box AP of each alpha on val), ``outcomes`` (per seed, on the test and the training
scenes, the share of each frequency group's objects that the linear, Seesaw, de-confound and
de-confound-TDE models find, detect with their category and classify given their box:
:func:`outcomes_of_seed`), ``data`` (training images per category, their LVIS
groups, scenes per split) and ``setup`` (machine, seconds per iteration, hours); and
``lvis_mini_cpu.md``, the table; ``lvis_mini_cpu_scenes.png``, :data:`PICTURED_SCENES` test
scenes of the first seed with their ground truth and the linear, Seesaw, de-confound and
de-confound-TDE detections, rare categories in red.
"""
import argparse
import json
import math
import os
import os.path as osp
import platform
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.apis import init_detector
from mmdet.evaluation import LVISMetric
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmcausal.apis import one_epoch_options, train
from mmcausal.apis.detection_analysis import outcome_rates, setting_name, split_dataset
from mmcausal.apis.long_runs import check_settings, epochs_done, logged_iterations, throughput
from mmcausal.apis.report import detection_table, outcomes_table
from mmcausal.visualization.detections import draw_scenes, scenes_with

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SUFFIX = 'cascade-mask-rcnn_r18-w16_fpn_1xb4-onecycle-4e_lvis-mini'
TRAINED = ('deconfound', 'linear', 'seesaw')  # the paper's row first
ROWS = ('random', 'linear', 'seesaw', 'deconfound', 'deconfound-tde', 'deconfound-tde-val',
        'deconfound-tde-no-exemption')
ALPHAS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # the grid of the alpha chosen on val
SMOKE_ALPHAS = (1.5, 3.0)
METRICS = ('segm_AP', 'segm_AP50', 'segm_AP75', 'segm_APr', 'segm_APc', 'segm_APf', 'bbox_AP')
RANDOM_PER_IMAGE = 100  # the configs' detections per image
RANDOM_SIDES = (16, 64)  # px, the range of a random box's sides (log-uniform)
PICTURED_SCENES = 4  # test scenes drawn, the first ones holding a rare category
OUTCOME_SPLITS = ('test', 'train')  # where the objects of each group are found and classified


def config(row: str) -> str:
    """The config of ``row`` (``linear``, ``deconfound``, ``deconfound-tde``, ...)."""
    return osp.join(ROOT, 'configs', 'lvis_mini', f'{row}_{SUFFIX}.py')


def data_options(data: str) -> dict:
    """``cfg_options`` reading LVIS-mini from ``data`` in every dataloader and evaluator."""
    options = {f'{loader}.dataset.data_root': f'{data}/'
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    for split in ('val', 'test'):
        options[f'{split}_evaluator.ann_file'] = f'{data}/annotations/lvis_mini_{split}.json'
    return options


def train_options(data: str, smoke: bool) -> dict:
    """``cfg_options`` of the training runs: the data, 1 epoch with ``smoke``, and the speed
    settings of the module docstring."""
    options = dict(data_options(data), **(one_epoch_options() if smoke else {}))
    options.update({
        'resume': True,
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,  # scored afterwards
        'default_hooks.checkpoint': dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
        'default_hooks.logger.interval': 1 if smoke else 10,
        'train_dataloader.num_workers': 1})
    return options


def test_options(data: str, smoke: bool) -> dict:
    """``cfg_options`` of the scoring runs: the data, loaded in the main process; with ``smoke``
    10 detections per image instead of 100 (the mask heads run on each)."""
    options = dict(data_options(data),
                   **({'model.test_cfg.rcnn.max_per_img': 10} if smoke else {}))
    for loader in ('val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False})
    return options


def paper_alpha() -> float:
    """The alpha of the ``deconfound-tde`` config's stage heads (the paper's, 1.5)."""
    return Config.fromfile(config('deconfound-tde')).model.roi_head.bbox_head[0].alpha


def alpha_options(alpha: float) -> dict:
    """``cfg_options`` setting ``alpha`` in the three stage heads of the cascade."""
    return {f'model.roi_head.bbox_head.{stage}.alpha': alpha for stage in range(3)}


def score(row: str, checkpoint: str, split: str, work_dir: str, options: dict,
          alpha: Optional[float] = None) -> Dict[str, Optional[float]]:
    """:data:`METRICS` (in %) of ``checkpoint`` tested on ``split`` (``'val'`` or ``'test'``)
    with the config of ``row``, ``alpha`` in its stage heads if given."""
    cfg = Config.fromfile(config(row))
    cfg.merge_from_dict(dict(options, **(alpha_options(alpha) if alpha is not None else {})),
                        allow_list_keys=True)
    if split == 'val':
        cfg.test_dataloader, cfg.test_evaluator = cfg.val_dataloader, cfg.val_evaluator
    cfg.merge_from_dict({'work_dir': work_dir, 'load_from': checkpoint,
                         'visualizer.name': work_dir})  # mmdet's name would reuse the first run's
    metrics = Runner.from_cfg(cfg).test()
    return percent(metrics) if metrics else no_detections(cfg.test_evaluator.ann_file)


def percent(metrics: Dict[str, float]) -> Dict[str, Optional[float]]:
    """:data:`METRICS` of ``LVISMetric``'s ``metrics`` in %, None for a frequency group without
    ground truth (LVIS's -1)."""
    return {name: None if metrics[f'lvis/{name}'] < 0 else round(100 * metrics[f'lvis/{name}'], 1)
            for name in METRICS}


def no_detections(ann_file: str) -> Dict[str, Optional[float]]:
    """:data:`METRICS` of a model that detects nothing on ``ann_file`` (``LVISMetric`` reports
    nothing then): 0, None for a frequency group without ground truth as in :func:`percent`."""
    with open(ann_file) as f:
        categories = json.load(f)['categories']
    groups = {category['frequency'] for category in categories if category['image_count']}
    return {name: None if name.endswith(('APr', 'APc', 'APf')) and name[-1] not in groups else 0.0
            for name in METRICS}


def random_boxes(ann_file: str, seed: int) -> Dict[str, Optional[float]]:
    """:data:`METRICS` (in %) of :data:`RANDOM_PER_IMAGE` random boxes per image of
    ``ann_file``: sides log-uniform in :data:`RANDOM_SIDES` inside the image, the box as mask,
    uniform categories and scores (``seed``)."""
    with open(ann_file) as f:
        annotations = json.load(f)
    classes = [category['name'] for category in annotations['categories']]
    metric = LVISMetric(ann_file=ann_file, metric=['bbox', 'segm'])
    metric.dataset_meta = dict(classes=classes)
    rng = np.random.default_rng(seed)
    for image in annotations['images']:
        height, width = image['height'], image['width']
        sides = np.exp(rng.uniform(*np.log(RANDOM_SIDES), size=(RANDOM_PER_IMAGE, 2)))
        corners = rng.uniform(0, 1, size=(RANDOM_PER_IMAGE, 2)) * ([width, height] - sides)
        boxes = np.concatenate([corners, corners + sides], axis=1).round().astype(int)
        masks = np.zeros((RANDOM_PER_IMAGE, height, width), dtype=bool)
        for mask, (x1, y1, x2, y2) in zip(masks, boxes):
            mask[y1:y2, x1:x2] = True
        prediction = dict(bboxes=torch.from_numpy(boxes).float(),
                          scores=torch.from_numpy(rng.random(RANDOM_PER_IMAGE)).float(),
                          labels=torch.from_numpy(rng.integers(len(classes),
                                                               size=RANDOM_PER_IMAGE)),
                          masks=torch.from_numpy(masks))
        metric.process({}, [dict(img_id=image['id'], ori_shape=(height, width),
                                 pred_instances=prediction)])
    return percent(metric.evaluate(size=len(annotations['images'])))


class Scores:
    """The scores measured so far, kept in ``work_dir/scores.json`` after each new one. Runs of
    other seeds on the same work directory at the same time (one per core) keep theirs in the
    same file: each new score is merged into the file as it is then, replaced atomically."""

    def __init__(self, work_dir: str) -> None:
        self.path = osp.join(work_dir, 'scores.json')
        self.scores: Dict[str, dict] = self._read()

    def _read(self) -> Dict[str, dict]:
        if not osp.isfile(self.path):
            return {}
        with open(self.path) as f:
            return json.load(f)

    def get(self, key: str, measure: Callable[[], dict]) -> dict:
        """The score of ``key``, measured by ``measure()`` the first time."""
        if key not in self.scores:
            score = measure()
            self.scores = dict(self._read(), **{key: score})
            with open(self.path + '.tmp', 'w') as f:
                json.dump(self.scores, f, indent=2)
            os.replace(self.path + '.tmp', self.path)
        return self.scores[key]


def score_seed(seed: int, checkpoints: Dict[str, str], work_dir: str, data: str,
               smoke: bool, scores: Scores) -> dict:
    """Every row of :data:`ROWS` on test for ``seed`` and the val scores of :data:`ALPHAS`
    (``smoke``: :data:`SMOKE_ALPHAS`): ``rows`` (row -> metrics, the TDE rows with ``alpha``) and
    ``val`` (alpha -> metrics)."""
    options, alphas = test_options(data, smoke), SMOKE_ALPHAS if smoke else ALPHAS

    def measure(row: str, model: str, split: str, alpha: Optional[float] = None) -> dict:
        key = f'seed{seed}/{row}/{split}' + ('' if alpha is None else f'/alpha={alpha:g}')
        return scores.get(key, lambda: score(row, checkpoints[model], split,
                                             osp.join(work_dir, 'scores', key), options, alpha))

    val = {alpha: measure('deconfound-tde', 'deconfound', 'val', alpha) for alpha in alphas}
    chosen = max(alphas, key=lambda alpha: val[alpha]['segm_AP'])
    paper = paper_alpha()
    rows = {
        'random': scores.get(f'seed{seed}/random/test', lambda: random_boxes(
            f'{data}/annotations/lvis_mini_test.json', seed)),
        **{model: measure(model, model, 'test') for model in ('linear', 'seesaw', 'deconfound')},
        'deconfound-tde': dict(measure('deconfound-tde', 'deconfound', 'test'), alpha=paper),
        'deconfound-tde-val': dict(
            measure('deconfound-tde', 'deconfound', 'test',
                    None if chosen == paper else chosen), alpha=chosen),
        'deconfound-tde-no-exemption': dict(
            measure('deconfound-tde-no-exemption', 'deconfound', 'test'), alpha=paper),
    }
    return dict(rows=rows, val={f'{alpha:g}': val[alpha] for alpha in alphas})


def outcomes_of_seed(seed: int, checkpoints: Dict[str, str], data: str, smoke: bool,
                     scores: Scores) -> Dict[str, dict]:
    """Per split of :data:`OUTCOME_SPLITS`, the share of each frequency group's objects found,
    detected and classified (:func:`~mmcausal.apis.detection_analysis.outcome_rates`) by the
    ``linear`` and ``seesaw`` models and the de-confound model at alpha = 0 (``deconfound``)
    and at the paper's alpha (``deconfound-tde``)."""
    options, paper = test_options(data, smoke), paper_alpha()

    def rates(row: str, model: str, split: str, alphas: Optional[Sequence[float]]) -> dict:
        cfg = Config.fromfile(config(row))
        cfg.merge_from_dict(options)
        return outcome_rates(cfg, checkpoints[model], split_dataset(cfg, split), alphas)

    result = {}
    for split in OUTCOME_SPLITS:
        key = f'seed{seed}/outcomes/{split}'
        peers = {model: scores.get(f'{key}/{model}', lambda: rates(model, model, split, None))
                 for model in ('linear', 'seesaw')}
        tde = scores.get(f'{key}/deconfound',
                         lambda: rates('deconfound-tde', 'deconfound', split, (0, paper)))
        result[split] = {'linear': peers['linear'][setting_name(None)],
                         'seesaw': peers['seesaw'][setting_name(None)],
                         'deconfound': tde[setting_name(0)],
                         'deconfound-tde': tde[setting_name(paper)]}
    return result


def draw_test_scenes(checkpoints: Dict[str, str], data: str, frequency: Sequence[str],
                     smoke: bool, out_file: str) -> None:
    """:data:`PICTURED_SCENES` test scenes with a rare category (``frequency``: the LVIS group
    of each category): the ground truth and the detections of the linear, Seesaw, de-confound
    and de-confound-TDE rows (``checkpoints``: row -> checkpoint, of one seed), by
    :func:`~mmcausal.visualization.detections.draw_scenes`."""
    options = test_options(data, smoke)
    columns = {'linear': ('linear', 'linear'), 'Seesaw': ('seesaw', 'seesaw'),
               'de-confound': ('deconfound', 'deconfound'),
               f'de-confound-TDE (alpha = {paper_alpha():g})': ('deconfound-tde', 'deconfound')}
    models = {}
    for title, (row, model) in columns.items():
        cfg = Config.fromfile(config(row))
        cfg.merge_from_dict(options)
        models[title] = init_detector(cfg, checkpoints[model], device='cpu')
    init_default_scope('mmdet')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)  # the same in every row's config
    rare = [label for label, group in enumerate(frequency) if group == 'r']
    draw_scenes(dataset, scenes_with(dataset, rare, PICTURED_SCENES), models, frequency, out_file)


def model_dirs(work_dir: str, seeds: Sequence[int]) -> Dict[str, str]:
    """The work directory of each model, ``'seed{S}/{row}'`` -> folder, in training order."""
    return {f'seed{seed}/{row}': osp.join(work_dir, f'seed{seed}', row)
            for seed in seeds for row in TRAINED}


def progress(work_dir: str, seeds: Sequence[int], max_epochs: int) -> str:
    """Epochs done per model and the ETA of the training at the logged median seconds per
    iteration (scoring adds about half as much)."""
    lines, remaining = [], 0.0
    for name, folder in model_dirs(work_dir, seeds).items():
        done = epochs_done(folder)
        lines.append(f'{name} {done}/{max_epochs} epochs')
        entries = logged_iterations(folder)
        if entries:
            per_epoch = max(entry['iter'] for entry in entries) / max(
                entry['epoch'] for entry in entries)
            remaining += (max_epochs - done) * per_epoch * float(
                np.median([entry['time'] for entry in entries]))
    eta = f'ETA {remaining / 3600:.1f} h' if remaining else 'ETA after the first logged iterations'
    return ', '.join(lines) + f'; training {eta}'


def summarize(results: List[dict]) -> Dict[str, dict]:
    """Per row, lists over seeds of each metric (and alpha)."""
    return {row: {key: [result['rows'][row][key] for result in results]
                  for key in results[0]['rows'][row]} for row in ROWS}


def data_summary(data: str) -> dict:
    """Training images per category, their LVIS groups and scenes per split of ``data``."""
    summary = {}
    for split in ('train', 'val', 'test'):
        with open(osp.join(data, 'annotations', f'lvis_mini_{split}.json')) as f:
            annotations = json.load(f)
        summary[f'{split}_images'] = len(annotations['images'])
        if split == 'train':
            categories = annotations['categories']
            summary['categories'] = [category['name'] for category in categories]
            summary['train_image_counts'] = [category['image_count'] for category in categories]
            summary['frequency'] = [category['frequency'] for category in categories]
    return summary


def markdown(rows: Dict[str, dict], outcomes: List[dict], setup: dict, data: dict) -> str:
    groups = {group: data['frequency'].count(group) for group in 'rcf'}
    lines = [
        '# LVIS-mini on the CPU (benchmarks/lvis_mini_cpu.sh)', '',
        f"{setup['device']}; torch {setup['torch']}, {setup['threads']} thread; "
        f"{setup['epochs']} epoch(s) of {setup['iterations_per_epoch']} iterations; seeds "
        f"{setup['seeds']}; {setup['hours']:.1f} h of training in all.", '',
        f"{len(data['categories'])} categories, {data['train_images']} training scenes "
        f"({groups['f']} frequent, {groups['c']} common, {groups['r']} rare categories by "
        f"training images, {max(data['train_image_counts'])} ... "
        f"{min(data['train_image_counts'])}), {data['val_images']} val and "
        f"{data['test_images']} test scenes of held-out objects.", '',
        'Test split, mean ± std over seeds (%):', ''] + detection_table(rows) + [
        '', 'Where the objects go, mean over seeds (% of each group\'s objects):', ''
    ] + outcomes_table(outcomes)
    return '\n'.join(lines) + '\n'


def data_argument(parser: argparse.ArgumentParser, data: str) -> str:
    """``--data`` as an absolute path, or the parser's error naming the files of LVIS-mini it
    lacks."""
    missing = [split for split in ('train', 'val', 'test') if not osp.isfile(
        osp.join(data, 'annotations', f'lvis_mini_{split}.json'))]
    if missing:
        parser.error(f'--data {data}: no annotations/lvis_mini_{{{",".join(missing)}}}.json;'
                     ' write LVIS-mini there with tools/dataset_converters/lvis_mini.py')
    return osp.abspath(data)


def output_dirs(name: str, work_dir: Optional[str], out: Optional[str],
                smoke: bool) -> Tuple[str, str]:
    """The work directory (default ``work_dirs/NAME``, ``NAME_smoke`` with ``smoke``) and the
    results folder (default ``benchmarks/results``; with ``smoke`` the work directory)."""
    work_dir = osp.abspath(work_dir or osp.join('work_dirs', name + '_smoke' * smoke))
    return work_dir, out or (work_dir if smoke else osp.join(ROOT, 'benchmarks', 'results'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default=osp.join('data', 'lvis_mini'),
                        help='LVIS-mini as tools/dataset_converters/lvis_mini.py writes it '
                        '(default: data/lvis_mini)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='seeds, one linear, de-confound and Seesaw model each '
                        '(default: 0 1 2)')
    parser.add_argument('--work-dir', help='checkpoints, logs and scores; rerun with the same one '
                        'to resume (default: work_dirs/lvis_mini_cpu[_smoke])')
    parser.add_argument('--out', help='results (default: benchmarks/results; smoke: the work '
                        'directory)')
    parser.add_argument('--smoke', action='store_true',
                        help='end-to-end check: 1 epoch, two alphas on val')
    args = parser.parse_args()
    args.data = data_argument(parser, args.data)
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)
    work_dir, out = output_dirs('lvis_mini_cpu', args.work_dir, args.out, args.smoke)
    max_epochs = 1 if args.smoke else Config.fromfile(config('deconfound')).train_cfg.max_epochs
    check_settings(work_dir, dict(data=args.data, epochs=max_epochs, smoke=args.smoke))
    print(progress(work_dir, args.seeds, max_epochs), flush=True)
    options = train_options(args.data, args.smoke)
    checkpoints = {}
    for model, folder in model_dirs(work_dir, args.seeds).items():
        seed, row = model.split('/')
        checkpoints[model], _ = train(config(row), folder, seed=int(seed[len('seed'):]),
                                      cfg_options=dict(options, **{'visualizer.name': folder}))
        print(progress(work_dir, args.seeds, max_epochs), flush=True)

    scores = Scores(work_dir)
    of_seed = {seed: {row: checkpoints[f'seed{seed}/{row}'] for row in TRAINED}
               for seed in args.seeds}
    results = [score_seed(seed, of_seed[seed], work_dir, args.data, args.smoke, scores)
               for seed in args.seeds]
    outcomes = [outcomes_of_seed(seed, of_seed[seed], args.data, args.smoke, scores)
                for seed in args.seeds]
    rows, data = summarize(results), data_summary(args.data)
    batch = Config.fromfile(config('deconfound')).train_dataloader.batch_size
    setup = dict(
        device=f'{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()})',
        torch=torch.__version__, threads=torch.get_num_threads(), epochs=max_epochs,
        seeds=args.seeds, iterations_per_epoch=math.ceil(data['train_images'] / batch),
        training={model: throughput(folder, batch)
                  for model, folder in model_dirs(work_dir, args.seeds).items()})
    setup['hours'] = sum(job['hours'] for job in setup['training'].values())
    os.makedirs(out, exist_ok=True)
    draw_test_scenes(of_seed[args.seeds[0]], args.data, data['frequency'], args.smoke,
                     osp.join(out, 'lvis_mini_cpu_scenes.png'))
    with open(osp.join(out, 'lvis_mini_cpu.json'), 'w') as f:
        json.dump(dict(epochs=max_epochs, metrics=list(METRICS), rows=rows,
                       val=[result['val'] for result in results], outcomes=outcomes, data=data,
                       setup=setup), f, indent=2)
    text = markdown(rows, outcomes, setup, data)
    with open(osp.join(out, 'lvis_mini_cpu.md'), 'w') as f:
        f.write(text)
    print(text)
    print(f'wrote lvis_mini_cpu.json, .md and _scenes.png into {out}')


if __name__ == '__main__':
    main()
