"""Small modules the models share."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

# Branches 0 .. CONCAT_BRANCHES-1 (full and half resolution) are resized and concatenated
# before the 1x1 conv; the lower ones get their slice of it at their own resolution.  Per
# branch, the conv saves 1 - 1/4**i of branch i's multiply-adds but resizes the conv's
# output (its out_channels) instead of the branch (its width) and adds one more
# full-resolution sum, so all per branch is not the fastest although it does the least
# work.  `python tools/benchmark.py --concat` times each choice (docs/benchmarks.md): on a
# 2-core Xeon, W32 head at 512x1024, inference 103 / 82 / 58 / 121 ms for 4 / 3 / 2 / 1
# concatenated, HRFPN at 800x1344 174 / 115 / 110 / 135 ms; 2 is also the fastest to train.
CONCAT_BRANCHES = 2


class BranchConv(nn.Module):
    """One slice of a 1x1 conv's input channels (one branch, or several concatenated).

    It holds no parameters: it reads ``conv.weight[:, start:stop]`` of the conv it was made
    from, so state_dicts and checkpoints are the concatenating layer's.  Being a module
    that is called, not a bare ``F.conv2d``, lets conv hooks (MAC counters, profilers) see
    its work; :meth:`macs` tells them how much.
    """

    def __init__(self, conv: nn.Conv2d, start: int, stop: int):
        super().__init__()
        object.__setattr__(self, 'conv', conv)  # a reference, not a child: no second copy
        self.start, self.stop = start, stop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.conv.weight[:, self.start:self.stop])

    def macs(self, inputs, output) -> int:
        return output.numel() * (self.stop - self.start)

    def extra_repr(self) -> str:
        return f'in_channels[{self.start}:{self.stop}] -> {self.conv.out_channels}'


class ResizeConcatConv(nn.Module):
    """``conv(cat([resize(x) for x in feats]))`` of a plain 1x1 conv, done with less work.

    Every branch is bilinearly resized to the first one's size.  A 1x1 conv is linear per
    pixel and bilinear resizing is linear per channel, so they commute: the low-resolution
    branches (from :data:`CONCAT_BRANCHES` on) get their slice of the conv's weight at their
    own size, and the results are resized and summed into the conv of the concatenated
    high-resolution ones; the bias is added once.  Same function and gradients, to rounding;
    no parameters of its own (the weights stay ``conv``'s).
    """

    def __init__(self, conv: nn.Conv2d, widths: Sequence[int], align_corners: bool = False,
                 concat: int = CONCAT_BRANCHES):
        super().__init__()
        if not is_plain_1x1(conv) or sum(widths) != conv.in_channels:
            raise ValueError(f'ResizeConcatConv needs a plain 1x1 nn.Conv2d over the '
                             f'concatenated branches; got {conv!r} for widths {list(widths)}')
        object.__setattr__(self, 'conv', conv)  # a reference, not a child: no second copy
        self.concat = max(1, min(concat, len(widths)))
        self.align_corners = align_corners
        bounds = [0]
        for width in widths:
            bounds.append(bounds[-1] + width)
        starts = [0] + bounds[self.concat:-1]
        self.parts = nn.ModuleList(BranchConv(conv, a, b) for a, b in
                                   zip(starts, bounds[self.concat:]))

    def _resize(self, x: torch.Tensor, size) -> torch.Tensor:
        return F.interpolate(x, size=size, mode='bilinear', align_corners=self.align_corners)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        size = feats[0].shape[-2:]
        high = feats[:self.concat]
        x = high[0] if len(high) == 1 else \
            torch.cat([high[0]] + [self._resize(h, size) for h in high[1:]], dim=1)
        out = self.parts[0](x)
        # In place: a conv's backward does not need its output, and a separate sum per branch
        # writes one more full-resolution tensor each.
        for x, part in zip(feats[self.concat:], self.parts[1:]):
            out.add_(self._resize(part(x), size))
        if self.conv.bias is not None:
            out.add_(self.conv.bias.view(1, -1, 1, 1))
        return out

    def extra_repr(self) -> str:
        return f'concatenated: branches 0..{self.concat - 1}, the rest per branch'


def is_plain_1x1(conv) -> bool:
    """A plain 1x1 ``nn.Conv2d`` (no groups, stride, dilation or padding), which commutes
    with resizing."""
    return type(conv) is nn.Conv2d and conv.kernel_size == (1, 1) and conv.groups == 1 and \
        conv.stride == (1, 1) and conv.padding in ((0, 0), 0) and conv.dilation == (1, 1)
