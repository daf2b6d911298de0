"""Dataset helpers for hrnet_mm at runtime: the LIP protocol (the demo-data builder is
developer tooling: ``hrnet_mm.devtools.demo_data``)."""

try:  # LIP builds on MMSegmentation's own LIPDataset
    from .lip import LIP_CLASSES, LIPDataset, left_right_pairs  # noqa: F401
except ImportError:
    pass
