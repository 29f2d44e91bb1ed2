"""Helpers of the package and the command-line tools."""
from .detection import DETECTION_INSTALL, detection_available
from .setup_env import setup_cpu_distributed

__all__ = ['DETECTION_INSTALL', 'detection_available', 'setup_cpu_distributed']
