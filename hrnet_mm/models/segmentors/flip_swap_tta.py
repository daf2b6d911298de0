"""Flip test-time augmentation that also swaps left/right class channels.

MMSegmentation's ``SegTTAModel`` averages the softmax of every augmented view after
the segmentor has flipped each view's logits back to the original orientation.  For
classes with a handedness (LIP's left-arm/right-arm, ...) the flipped-back logits are
still in the mirrored *label* space: what the network called "left-arm" on the
mirrored image is the subject's right arm.  The official HRNet LIP evaluation swaps
those channels before averaging; :class:`FlipSwapSegTTAModel` does the same.
"""
from typing import List, Sequence, Tuple

import torch
from mmseg.models.segmentors import SegTTAModel
from mmseg.utils import SampleList


def swap_channel_pairs(logits: torch.Tensor, pairs: Sequence[Tuple[int, int]],
                       dim: int = 0) -> torch.Tensor:
    """Returns ``logits`` with the channels of every ``(a, b)`` pair exchanged."""
    num = logits.shape[dim]
    order = list(range(num))
    for a, b in pairs:
        if not (0 <= a < num and 0 <= b < num):
            raise ValueError(f'swap pair ({a}, {b}) is out of range for {num} channels')
        order[a], order[b] = order[b], order[a]
    index = torch.as_tensor(order, device=logits.device)
    return logits.index_select(dim, index)


class FlipSwapSegTTAModel(SegTTAModel):
    """``SegTTAModel`` whose horizontally flipped views get left/right channels swapped.

    Args:
        module: the segmentor config or model (filled in by mmseg's ``--tta``).
        swap_label_pairs: ``(left, right)`` class-index pairs, e.g. LIP's
            ``[(14, 15), (16, 17), (18, 19)]``; must match the ``swap_seg_labels`` of
            the training ``RandomFlip``.
        data_preprocessor: as ``BaseTTAModel``.
    """

    def __init__(self, module, swap_label_pairs: Sequence[Sequence[int]] = (),
                 data_preprocessor=None):
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        pairs = [tuple(int(v) for v in pair) for pair in swap_label_pairs]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f'swap_label_pairs must hold (left, right) pairs, got '
                             f'{swap_label_pairs!r}')
        flat = [v for pair in pairs for v in pair]
        if len(flat) != len(set(flat)):
            raise ValueError(f'a class appears in more than one swap pair: {pairs}')
        self.swap_label_pairs = pairs

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        for data_samples in data_samples_list:
            for data_sample in data_samples:
                if (self.swap_label_pairs and data_sample.metainfo.get('flip', False)
                        and data_sample.metainfo.get('flip_direction') == 'horizontal'):
                    data_sample.seg_logits.data = swap_channel_pairs(
                        data_sample.seg_logits.data, self.swap_label_pairs)
        return super().merge_preds(data_samples_list)
