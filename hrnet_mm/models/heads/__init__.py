"""Segmentation heads for MMSegmentation (needs mmseg; ``hrnet_mm.registry`` registers them
into mmseg's ``MODELS`` when mmseg is installed)."""
from .hrnetv2_head import HRNetV2Head

__all__ = ['HRNetV2Head']
