"""Shims for mmcv 2.1.0 (the last release mmdet 3.3.0 and mmseg 1.2.2 accept)."""
from typing import List

from . import Shim, apply_shims

PATCHES = '2.1.0'


def _skip_undecodable_images():
    """mmcv 2.1.0 ``LoadImageFromFile(ignore_empty=True)`` returns None (so the dataset
    draws another sample) only when reading raises; a truncated or corrupt file that
    OpenCV decodes to None still hits ``assert img is not None`` and kills the run.  With
    ``ignore_empty`` that case is skipped too, as the option promises."""
    from mmcv.transforms import LoadImageFromFile
    upstream = LoadImageFromFile.transform

    def transform(self, results):
        try:
            return upstream(self, results)
        except AssertionError as exc:
            if self.ignore_empty and str(exc).startswith('failed to load image'):
                return None
            raise

    LoadImageFromFile.transform = transform


SHIMS = [Shim(f"mmcv.{f.__name__.lstrip('_')}", ' '.join(f.__doc__.split()), f)
         for f in (_skip_undecodable_images, )]


def apply() -> List[str]:
    """Applies this module's shims if mmcv 2.1.0 is installed."""
    return apply_shims('mmcv', PATCHES, SHIMS)
