"""Mixed-precision (bfloat16) training on the CPU, which mmengine's AmpOptimWrapper refuses."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from torch import nn


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (x86 AVX512-BF16 or AMX tiles), the case
    where oneDNN runs bf16 convolutions faster than fp32 instead of emulating them."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """An :class:`~mmengine.optim.OptimWrapper` that runs each training forward under
    ``torch.autocast('cpu', dtype=torch.bfloat16)``, with the model in channels-last memory
    format (oneDNN's layout for bf16 convolutions).

    Parameters, gradients and optimizer state stay fp32 (autocast casts per operation), and
    bf16 has fp32's exponent range, so no loss scaling is needed. Heads that must stay fp32 (the
    normalized classifiers of :class:`~mmcausal.models.TDEClsHead` and the loss) leave autocast
    themselves. Validation and test run outside ``optim_context``, so in fp32.

    Use it in a config as ``optim_wrapper = dict(type='CPUAmpOptimWrapper', optimizer=...)``;
    ``--cfg-options optim_wrapper.type=CPUAmpOptimWrapper`` switches an existing config.

    Args:
        channels_last (bool): Convert the model to channels-last on the first training step.
            Defaults to True.
        **kwargs: The arguments of :class:`~mmengine.optim.OptimWrapper` (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).

    Raises:
        RuntimeError: When the CPU has no bf16 instructions (AVX512-BF16 or AMX), where bf16 is
            emulated and slower than fp32.
    """

    def __init__(self, channels_last: bool = True, **kwargs) -> None:
        if not cpu_has_native_bf16():
            raise RuntimeError(
                'CPUAmpOptimWrapper: this CPU has no bfloat16 instructions (AVX512-BF16 or AMX), '
                'so bf16 autocast would be emulated and slower than fp32; train in fp32 with '
                "optim_wrapper.type='OptimWrapper'")
        super().__init__(**kwargs)
        self.channels_last = channels_last
        self._converted = False

    @contextmanager
    def optim_context(self, model: nn.Module):
        """OptimWrapper's context (gradient accumulation) under bf16 CPU autocast."""
        if self.channels_last and not self._converted:
            model.to(memory_format=torch.channels_last)
            self._converted = True
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield
