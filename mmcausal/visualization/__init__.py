"""Plots of the tools and benchmarks (matplotlib); not imported by ``import mmcausal``."""
from .alpha_sweep import plot_sweeps

__all__ = ['plot_sweeps']
