"""Checkpoints and logs for release: the weights and their provenance, without the training state
and without the paths of the machine that trained them."""
import glob
import hashlib
import os
import os.path as osp
import re
from typing import Any, Sequence

import torch

# An absolute POSIX path of two names or more ('/work/runs/linear', not '/s' or '<!-- /table'),
# not preceded by what continues a word, a relative path, a placeholder or a URL ('images/s/x',
# '2026/12/03', '<local>/train', 'https://...').
ABSOLUTE_PATH = re.compile(r'(?<![\w.~:/>-])(?:/[\w.+@-]+){2,}', re.ASCII)
LOCAL = '<local>'


def strip_local_paths(text: str) -> str:
    """``text`` with every absolute path replaced by its last name behind ``<local>/``:
    ``data_root='/work/data/cifar10-jpg/train'`` becomes ``data_root='<local>/train'``, and so do
    work directories, checkpoint paths and the compiler path of mmengine's environment report.
    A sentence's full stop after a path stays outside it."""

    def local(match: 're.Match[str]') -> str:
        path = match.group()
        stripped = path.rstrip('.')
        return f'{LOCAL}/{osp.basename(stripped)}' + path[len(stripped):]

    return ABSOLUTE_PATH.sub(local, text)


def _strip_strings(value: Any) -> Any:
    """``value`` (a checkpoint's ``meta``: dicts, lists, tuples, strings, numbers) with
    :func:`strip_local_paths` applied to every string in it."""
    if isinstance(value, str):
        return strip_local_paths(value)
    if isinstance(value, dict):
        return {key: _strip_strings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_strip_strings(item) for item in value)
    return value


def publish_checkpoint(checkpoint: str, stem: str) -> str:
    """Write the weights-only release of an mmengine ``checkpoint`` as OpenMMLab's model zoos do
    (mmpretrain's ``tools/model_converters/publish_model.py``): ``state_dict`` (the head
    direction included: it is a buffer) and ``meta`` (config, dataset meta, epoch), without the
    optimizer, scheduler and message hub, and with every absolute path in ``meta`` (the config's
    data roots and work directory) stripped by :func:`strip_local_paths`, saved as
    ``{stem}-{sha256[:8]}.pth``. A published checkpoint republishes to itself.

    Returns:
        str: The path written.
    """
    saved = torch.load(checkpoint, map_location='cpu', weights_only=True)
    release = dict(state_dict=saved['state_dict'], meta=_strip_strings(saved.get('meta', {})))
    tmp = f'{stem}.pth.tmp'
    os.makedirs(osp.dirname(osp.abspath(tmp)), exist_ok=True)
    torch.save(release, tmp)
    with open(tmp, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    path = f'{stem}-{digest[:8]}.pth'
    os.replace(tmp, path)
    return path


def publish_log(logs: Sequence[str], path: str) -> str:
    """Write the training ``logs`` (mmengine's text logs, e.g. a run and its resumptions, in
    order) one after the other to ``path``, every absolute path stripped by
    :func:`strip_local_paths`.

    Returns:
        str: ``path``.
    """
    if not logs:
        raise ValueError(f'publish_log needs at least one log file to write {path}, got none.')
    text = ''
    for log in logs:
        with open(log, encoding='utf-8') as f:
            text += f.read()
    with open(path, 'w', encoding='utf-8') as f:
        f.write(strip_local_paths(text))
    return path


def published_checkpoint(stem: str) -> str:
    """The one checkpoint :func:`publish_checkpoint` wrote for ``stem``: ``{stem}-*.pth``.

    Raises:
        FileNotFoundError: None or several match; the message names the pattern and the matches.
    """
    paths = glob.glob(f'{stem}-*.pth')
    if len(paths) != 1:
        raise FileNotFoundError(f'one published checkpoint {stem}-*.pth expected, found {paths}')
    return paths[0]
