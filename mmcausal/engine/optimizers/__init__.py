from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper, cpu_has_native_bf16

__all__ = ['CPUAmpOptimWrapper', 'cpu_has_native_bf16']
