"""Small modules the models share."""
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


class BranchConv(nn.Module):
    """One input branch's slice of a 1x1 conv over concatenated branches.

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


def branch_convs(conv: nn.Conv2d, widths: Sequence[int]) -> List[BranchConv]:
    """A :class:`BranchConv` per branch of ``widths`` (their sum is ``conv.in_channels``)."""
    bounds = [0]
    for width in widths:
        bounds.append(bounds[-1] + width)
    return [BranchConv(conv, a, b) for a, b in zip(bounds, bounds[1:])]


def is_plain_1x1(conv) -> bool:
    """A plain 1x1 ``nn.Conv2d`` (no groups, stride, dilation or padding), which commutes
    with resizing."""
    return type(conv) is nn.Conv2d and conv.kernel_size == (1, 1) and conv.groups == 1 and \
        conv.stride == (1, 1) and conv.padding in ((0, 0), 0) and conv.dilation == (1, 1)
