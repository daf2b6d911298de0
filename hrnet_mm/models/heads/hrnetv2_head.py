"""The HRNetV2 segmentation head, its first 1x1 conv applied to the low-resolution branches.

MMSegmentation's HRNetV2 configs use ``FCNHead(input_transform='resize_concat',
kernel_size=1, num_convs=1, concat_input=False)``: every branch is resized to the
highest resolution and concatenated (15C channels), then a 1x1 conv + BN + ReLU and the
classifier.  A 1x1 conv commutes with bilinear resizing (both are linear, one per pixel,
the other per channel), so the conv is applied to the two lowest-resolution branches at
their own size with their slices of the weights, the results resized and summed into the
conv of the two concatenated high-resolution branches, the bias added once, and BN + ReLU applied after the
sum (``models.utils.ResizeConcatConv``) -- the same function, with (48 + 96 + 192/16 +
384/64) / 720 = 9/40 of the conv's multiply-adds for W48 (at 1024x2048, 67.9 -> 15.3
GMACs).  Same parameters and state_dict keys as
``FCNHead``, so mmseg's zoo and converted checkpoints load unchanged.
"""
import torch.nn as nn
from mmseg.models.decode_heads import FCNHead

from ..utils import ResizeConcatConv, is_plain_1x1


class HRNetV2Head(FCNHead):
    """``FCNHead`` whose 1x1 ``resize_concat`` conv runs per low-resolution branch (exactly
    equal).

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
        if self.per_branch:  # parameter-free: it reads the first conv's weight
            self.resize_concat_conv = ResizeConcatConv(first.conv, widths, self.align_corners)

    def _forward_feature(self, inputs):
        if not self.per_branch:
            return super()._forward_feature(inputs)
        module = self.convs[0]
        out = self.resize_concat_conv([inputs[i] for i in self.in_index])
        if module.with_norm:
            out = module.norm(out)
        if module.with_activation:
            out = module.activate(out)
        return out
