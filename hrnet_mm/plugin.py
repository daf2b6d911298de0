"""The OpenMMLab entry point: ``custom_imports = dict(imports=['hrnet_mm.plugin'])``.

Importing this module runs :func:`hrnet_mm.register_all` (the compatibility shims, and
``type='HRNet'`` / ``'HRFPN'`` building hrnet_mm's classes in mmdet, mmseg and mmpose), so
a config that lists it needs nothing else, under hrnet_mm's tools or the toolboxes' own.
"""
from .registry import register_all

TOOLBOXES = register_all()  # which toolboxes were found and registered into
