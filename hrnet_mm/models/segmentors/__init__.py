"""MMSegmentation extras for the LIP protocol: left/right-swapping flip TTA.

Needs mmseg; ``hrnet_mm.registry`` registers ``FlipSwapSegTTAModel`` into mmseg's
``MODELS`` when mmseg is installed.
"""
from .flip_swap_tta import FlipSwapSegTTAModel, swap_channel_pairs

__all__ = ['FlipSwapSegTTAModel', 'swap_channel_pairs']
