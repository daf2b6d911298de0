"""hrnet_mm: one HRNet (V1/V2/V2p) for MMDetection 3.x, MMSegmentation 1.x and MMPose 1.x.

Importing it applies the compatibility shims for current torch/numpy and registers
hrnet_mm's HRNet and HRFPN into every installed toolbox (see ``hrnet_mm.registry``).
"""
from . import compat  # noqa: F401  (must run before the toolboxes load checkpoints)
from .models import HRFPN, HRNet
from .registry import MODELS, register_into_toolboxes

__version__ = '0.1.0'
TOOLBOXES = register_into_toolboxes()

__all__ = ['HRNet', 'HRFPN', 'MODELS', 'TOOLBOXES', '__version__']
