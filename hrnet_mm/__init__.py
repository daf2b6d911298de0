"""hrnet_mm: one HRNet (V1/V2/V2p) for MMDetection 3.x, MMSegmentation 1.x and MMPose 1.x.

``import hrnet_mm`` (or any submodule: ``hrnet_mm.models``, the developer tooling) patches
and registers nothing.  What a config needs is one explicit call, made once:

* :func:`register_all` applies the compatibility shims for the installed upstream
  releases (``hrnet_mm.compat``) and registers hrnet_mm's HRNet and HRFPN into every
  installed toolbox (``hrnet_mm.registry``);
* ``custom_imports = dict(imports=['hrnet_mm.plugin'])`` in a config makes that call
  (``hrnet_mm.plugin`` is a module whose import runs it); hrnet_mm's tools call it
  themselves.

``hrnet_mm.HRNet``, ``hrnet_mm.HRFPN`` and ``hrnet_mm.MODELS`` are loaded on first use.
"""
import importlib
from typing import Dict

__version__ = '0.1.0'

_LAZY = {'HRNet': 'hrnet_mm.models', 'HRFPN': 'hrnet_mm.models',
         'MODELS': 'hrnet_mm.registry', 'HOOKS': 'hrnet_mm.registry'}


def register_all() -> Dict[str, bool]:
    """Applies the shims and registers hrnet_mm into every installed toolbox (idempotent).

    Returns which toolboxes were found, e.g. ``{'mmdet': True, 'mmseg': True,
    'mmpose': False}``."""
    from .registry import register_all as _register_all
    return _register_all()


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = ['HRNet', 'HRFPN', 'MODELS', 'register_all', '__version__']
