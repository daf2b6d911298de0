"""Dataset helpers for hrnet_mm: demo data preparation and the LIP protocol."""

try:  # LIP builds on MMSegmentation's own LIPDataset
    from .lip import LIP_CLASSES, LIP_FLIP_PAIRS, LIPDataset  # noqa: F401
except ImportError:
    pass
