"""Shims for MMSegmentation 1.2.2 (distribution ``mmsegmentation``; optional)."""
from typing import Callable, Dict, List

import numpy as np

from . import Shim, apply_shims

PATCHES = '1.2.2'
UPSTREAM: Dict[str, Callable] = {}  # the replaced functions, by qualified name (the tests compare against them)


def _two_dim_seg_maps():
    """mmseg 1.2.2 ``LoadAnnotations._load_seg_map`` ``squeeze()``-s the decoded map, so a
    map 1 px high or wide loses a dimension (1x1 becomes 0-d) and the next ``Resize``
    fails with "not enough values to unpack".  The map gets its image's 2-D shape back."""
    from mmseg.datasets.transforms import LoadAnnotations
    upstream = LoadAnnotations._load_seg_map

    def _load_seg_map(self, results):
        upstream(self, results)
        seg, shape = results['gt_seg_map'], results.get('ori_shape')
        if seg.ndim != 2 and shape is not None and seg.size == shape[0] * shape[1]:
            results['gt_seg_map'] = seg.reshape(shape[:2])

    LoadAnnotations._load_seg_map = _load_seg_map


def _draw_seg_from_numpy():
    """mmseg 1.2.2 ``SegLocalVisualizer._draw_sem_seg`` indexes a numpy mask with a torch
    bool tensor; numpy reads a one-element tensor as the integer 0 or 1, so drawing a
    1-pixel image fails with "IndexError: index 1 is out of bounds".  Drawing from a numpy
    copy of the map is the same for every other size."""
    from mmseg.visualization import SegLocalVisualizer
    upstream = SegLocalVisualizer._draw_sem_seg

    def _draw_sem_seg(self, image, sem_seg, *args, **kwargs):
        return upstream(self, image, sem_seg.cpu().numpy(), *args, **kwargs)

    SegLocalVisualizer._draw_sem_seg = _draw_sem_seg


def get_center_loc(mask: np.ndarray) -> np.ndarray:
    """Where mmseg's visualiser writes a class's label: the middle pixel of the row with
    the most pixels of that class, as ``SegLocalVisualizer._get_center_loc`` finds it."""
    loc = np.argwhere(mask == 1)
    rows, counts = np.unique(loc[:, 0], return_counts=True)
    row = loc[loc[:, 0] == rows[counts.argmax()]]
    y, x = row[len(row) // 2]
    return np.array([x, y])


def _fast_label_placement():
    """mmseg 1.2.2 ``SegLocalVisualizer._get_center_loc`` sorts every pixel coordinate of a
    class in Python to place its label (40 s for one class of a 12 Mpx photo).
    ``np.argwhere`` already returns them in that (row, column) order, so the same point is
    found without the sort (:func:`get_center_loc`)."""
    from mmseg.visualization import SegLocalVisualizer
    UPSTREAM['SegLocalVisualizer._get_center_loc'] = SegLocalVisualizer._get_center_loc
    SegLocalVisualizer._get_center_loc = lambda self, mask: get_center_loc(mask)


SHIMS = [Shim(f"mmseg.{f.__name__.lstrip('_')}", ' '.join(f.__doc__.split()), f)
         for f in (_two_dim_seg_maps, _draw_seg_from_numpy, _fast_label_placement)]


def apply() -> List[str]:
    """Applies this module's shims if mmsegmentation 1.2.2 is installed."""
    return apply_shims('mmsegmentation', PATCHES, SHIMS)
