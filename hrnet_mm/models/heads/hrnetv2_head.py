"""The HRNetV2 segmentation head with its first 1x1 conv applied per branch.

MMSegmentation's HRNetV2 configs use ``FCNHead(input_transform='resize_concat',
kernel_size=1, num_convs=1, concat_input=False)``: every branch is resized to the
highest resolution and concatenated (15C channels), then a 1x1 conv + BN + ReLU and the
classifier.  A 1x1 conv commutes with bilinear resizing (both are linear, one per pixel,
the other per channel), so the conv is applied to each branch at its own resolution with
its slice of the weights, the results resized and summed, the bias added once, and BN +
ReLU applied after the sum -- the same function, with the conv's multiply-adds on the
low-resolution branches done at their size: for W48 (48 + 96/4 + 192/16 + 384/64) / 720
= 1/8 of them (at 1024x2048, 68 -> 8.5 GMACs).  Same parameters and state_dict keys as
``FCNHead``, so mmseg's zoo and converted checkpoints load unchanged.
"""
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads import FCNHead

from ..utils import branch_convs, is_plain_1x1


class HRNetV2Head(FCNHead):
    """``FCNHead`` whose 1x1 ``resize_concat`` conv runs per branch (exactly equal).

    Any other configuration (``kernel_size`` > 1, several convs, ``concat_input``, another
    ``input_transform``, a special conv) runs ``FCNHead``'s own forward.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault('kernel_size', 1)
        kwargs.setdefault('num_convs', 1)
        kwargs.setdefault('concat_input', False)
        kwargs.setdefault('input_transform', 'resize_concat')
        widths = kwargs.get('in_channels')
        super().__init__(**kwargs)
        first = self.convs[0] if isinstance(self.convs, nn.Sequential) else None
        self.per_branch = (self.input_transform == 'resize_concat' and self.num_convs == 1
                           and not self.concat_input and isinstance(widths, (list, tuple))
                           and is_plain_1x1(getattr(first, 'conv', None))
                           and first.order == ('conv', 'norm', 'act'))
        if self.per_branch:  # parameter-free views of the first conv's weight
            self.branch_convs = nn.ModuleList(branch_convs(first.conv, widths))

    def _forward_feature(self, inputs):
        if not self.per_branch:
            return super()._forward_feature(inputs)
        module = self.convs[0]
        feats = [inputs[i] for i in self.in_index]
        size = feats[0].shape[2:]
        out = self.branch_convs[0](feats[0])
        for x, conv in zip(feats[1:], self.branch_convs[1:]):
            out = out + F.interpolate(conv(x), size=size, mode='bilinear',
                                      align_corners=self.align_corners)
        if module.conv.bias is not None:
            out = out + module.conv.bias.view(1, -1, 1, 1)
        if module.with_norm:
            out = module.norm(out)
        if module.with_activation:
            out = module.activate(out)
        return out
