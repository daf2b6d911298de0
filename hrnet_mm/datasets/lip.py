"""LIP (Look Into Person) human parsing: what the hrnet_mm LIP configs rely on.

MMSegmentation 1.2.2 already ships ``LIPDataset`` (``mmseg.datasets.lip``, registered
in mmseg's ``DATASETS``: 20 classes, background included, ``.jpg`` images and
``.png`` label maps) but no LIP config; hrnet_mm uses that class unchanged and adds
only what the TPAMI HRNet protocol (Table 6) needs on top of it: the left/right
label pairs that a horizontal flip exchanges.

Layout the hrnet_mm LIP configs expect: the official LIP release
("TrainVal_images.zip" and "TrainVal_parsing_annotations.zip" from
http://sysu-hcp.net/lip) unzipped under one root::

    data/LIP/
    ├── TrainVal_images/
    │   ├── train_images/<id>.jpg        30,462 images
    │   ├── val_images/<id>.jpg          10,000 images
    │   ├── train_id.txt                 optional id lists (one <id> per line)
    │   └── val_id.txt
    └── TrainVal_parsing_annotations/
        ├── train_segmentations/<id>.png uint8 class indices 0..19, 255 ignored
        └── val_segmentations/<id>.png

with ``data_prefix=dict(img_path='TrainVal_images/train_images',
seg_map_path='TrainVal_parsing_annotations/train_segmentations')``.  Without an
``ann_file`` every ``.jpg`` under ``img_path`` is used; pass ``train_id.txt`` as
``ann_file`` to restrict it.  ``LIP_CLASSES[i]`` is the class of pixel value ``i``.
"""
from typing import List, Sequence, Tuple

from mmseg.datasets import LIPDataset

LIP_CLASSES: Tuple[str, ...] = tuple(LIPDataset.METAINFO['classes'])


def left_right_pairs(classes: Sequence[str]) -> List[Tuple[int, int]]:
    """``(left, right)`` index pairs of classes named ``Left-x`` / ``Right-x``."""
    lowered = [c.lower() for c in classes]
    pairs = []
    for i, name in enumerate(lowered):
        if name.startswith('left-'):
            right = 'right-' + name[len('left-'):]
            if right not in lowered:
                raise ValueError(f'class {classes[i]!r} has no right-hand counterpart')
            pairs.append((i, lowered.index(right)))
    return pairs


# The (left, right) label pairs a horizontal flip exchanges -- (14, 15) arms, (16, 17) legs,
# (18, 19) shoes -- are written once, in the LIP config (``lip_flip_pairs``: for mmcv's
# RandomFlip(swap_seg_labels=...) and FlipSwapSegTTAModel); tests/test_datasets/test_lip.py
# checks them against left_right_pairs(LIP_CLASSES).

__all__ = ['LIPDataset', 'LIP_CLASSES', 'left_right_pairs']
