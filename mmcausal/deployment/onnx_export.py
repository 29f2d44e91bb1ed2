"""ONNX export with dynamic dimensions, and onnxruntime inference of the exported file."""
from typing import List, Sequence

import numpy as np
import torch
from torch import Tensor, nn

#: The default ONNX opset: the lowest that torch's ``torch.export``-based exporter writes.
OPSET = 18


def export_onnx(module: nn.Module, example: Tensor, path: str, input_name: str,
                output_names: Sequence[str], dynamic_dims: Sequence[int] = (0, ),
                opset: int = OPSET) -> None:
    """Write ``module``'s eval-mode forward of one tensor to the ONNX file ``path``.

    The graph is traced on ``example`` by torch's ``torch.export``-based exporter, with
    standard ONNX operators of ``opset`` only and the weights inside the file. The dimensions
    ``dynamic_dims`` of the input stay dynamic where the module allows it (``Dim.AUTO``: a size
    the module's code depends on is kept at ``example``'s); the others keep ``example``'s sizes.

    Args:
        module (nn.Module): Maps one tensor to one tensor or a tuple of tensors.
        example (Tensor): An input of the size to trace; sizes of 1 in ``dynamic_dims`` would
            be specialized by torch, so they must be >= 2.
        path (str): The ``.onnx`` file to write.
        input_name (str): The graph's input name.
        output_names (Sequence[str]): One name per output of ``module``.
        dynamic_dims (Sequence[int]): Input dimensions left dynamic. Defaults to (0, ), the
            batch.
        opset (int): ONNX opset version, >= 18. Defaults to :data:`OPSET`.
    """
    small = [dim for dim in dynamic_dims if example.shape[dim] < 2]
    if small:
        raise ValueError(f'example has size 1 in the dynamic dimensions {small} of its shape '
                         f'{tuple(example.shape)}; give sizes >= 2 there')
    if opset < OPSET:
        raise ValueError(f'opset={opset}: the torch.export-based ONNX exporter writes opset >= '
                         f'{OPSET}; choose opset >= {OPSET}')
    dynamic_shapes = ({dim: torch.export.Dim.AUTO for dim in dynamic_dims}, )
    torch.onnx.export(module.eval(), (example, ), path, input_names=[input_name],
                      output_names=list(output_names), opset_version=opset,
                      dynamic_shapes=dynamic_shapes, external_data=False, dynamo=True,
                      verbose=False)


def run_onnx(path: str, inputs: Tensor) -> List[np.ndarray]:
    """The outputs of the ONNX file ``path`` for ``inputs`` on onnxruntime's CPU provider."""
    import onnxruntime
    session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = {session.get_inputs()[0].name: inputs.detach().cpu().numpy()}
    return session.run(None, feed)
