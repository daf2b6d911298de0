"""ResizeConcatConv: a 1x1 conv over resized, concatenated branches, computed with the low-
resolution branches' slices at their own size -- equal to the concatenating conv in output
and gradients whichever branches are concatenated, in either memory format."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from hrnet_mm.deploy import max_relative_error
from hrnet_mm.models.utils import ResizeConcatConv

WIDTHS = [8, 16, 32, 64]


def concatenating(conv, feats, align_corners):
    size = feats[0].shape[-2:]
    return conv(torch.cat([feats[0]] + [F.interpolate(x, size=size, mode='bilinear',
                                                      align_corners=align_corners)
                                        for x in feats[1:]], dim=1))


def inputs(size, memory_format, seed=0):
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    return [torch.randn(2, c, -(-h // 2**i), -(-w // 2**i), generator=gen)
            .contiguous(memory_format=memory_format).requires_grad_()
            for i, c in enumerate(WIDTHS)]


@pytest.mark.parametrize('concat', [1, 2, 3, 4])
@pytest.mark.parametrize('align_corners', [False, True])
@pytest.mark.parametrize('memory_format', [torch.contiguous_format, torch.channels_last])
def test_equals_the_concatenating_conv_with_its_gradients(concat, align_corners, memory_format):
    conv = nn.Conv2d(sum(WIDTHS), 24, 1)
    nn.init.normal_(conv.bias)
    fast = ResizeConcatConv(conv, WIDTHS, align_corners, concat=concat)
    assert not list(fast.parameters()) and not fast.state_dict()  # the weights stay conv's
    results = []
    for run in (lambda xs: fast(xs), lambda xs: concatenating(conv, xs, align_corners)):
        conv.zero_grad()
        xs = inputs((24, 37), memory_format)
        out = run(xs)
        out.square().mean().backward()
        results.append([out, conv.weight.grad, conv.bias.grad] + [x.grad for x in xs])
    assert max_relative_error(results[0][:1], results[1][:1]) <= 1e-5
    assert max_relative_error(results[0][1:], results[1][1:]) <= 1e-4


def test_refuses_a_conv_that_does_not_commute_with_resizing():
    with pytest.raises(ValueError, match='plain 1x1'):
        ResizeConcatConv(nn.Conv2d(sum(WIDTHS), 24, 3), WIDTHS)
    with pytest.raises(ValueError, match=r'widths \[8, 16\]'):
        ResizeConcatConv(nn.Conv2d(sum(WIDTHS), 24, 1), [8, 16])
