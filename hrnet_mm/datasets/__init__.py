"""Dataset helpers for hrnet_mm (demo data preparation)."""
