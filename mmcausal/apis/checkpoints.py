"""Checkpoints for release: the weights and their provenance, without the training state."""
import hashlib
import os
import os.path as osp

import torch


def publish_checkpoint(checkpoint: str, stem: str) -> str:
    """Write the weights-only release of an mmengine ``checkpoint`` as OpenMMLab's model zoos do
    (mmpretrain's ``tools/model_converters/publish_model.py``): ``state_dict`` (the head
    direction included: it is a buffer) and ``meta`` (config, dataset meta, epoch), without the
    optimizer, scheduler and message hub, saved as ``{stem}-{sha256[:8]}.pth``.

    Returns:
        str: The path written.
    """
    saved = torch.load(checkpoint, map_location='cpu', weights_only=True)
    release = dict(state_dict=saved['state_dict'], meta=saved.get('meta', {}))
    tmp = f'{stem}.pth.tmp'
    os.makedirs(osp.dirname(osp.abspath(tmp)), exist_ok=True)
    torch.save(release, tmp)
    with open(tmp, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    path = f'{stem}-{digest[:8]}.pth'
    os.replace(tmp, path)
    return path
