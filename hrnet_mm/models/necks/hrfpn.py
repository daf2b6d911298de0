"""HRFPN: the HRNetV2p feature pyramid (concatenate, reduce, pool, 3x3 convs)."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch.utils.checkpoint import checkpoint

from hrnet_mm.errors import ConfigError

from ..utils import ResizeConcatConv, is_plain_1x1

POOLING = {'AVG': F.avg_pool2d, 'MAX': F.max_pool2d}


class HRFPN(BaseModule):
    """High-resolution feature pyramid (HRNetV2p).

    All branches are resized to the highest resolution and concatenated (the HRNetV2
    representation), reduced by a 1x1 conv to ``out_channels``, pooled by 2, 4, 8, ... into
    ``num_outs`` levels, and each level goes through a 3x3 conv.

    Args:
        in_channels: channels of each input branch.
        out_channels: channels of every pyramid level.
        num_outs: number of pyramid levels.
        pooling_type: ``'AVG'`` or ``'MAX'``.
        conv_cfg, norm_cfg: mmcv layer configs; ``norm_cfg`` is applied to the reduction and
            the 3x3 convs (MMDet's copy silently ignores it).
        with_cp: gradient checkpointing of the convs (non-reentrant).
        stride: stride of the 3x3 convs.
        share_convs: one 3x3 conv for all levels instead of one per level.
        reduce_first: apply the 1x1 reduction to the two lowest-resolution branches at
            their own size, then resize and sum them into the reduction of the concatenated
            high-resolution two (the default, ``models.utils.ResizeConcatConv``); ``False``
            resizes and concatenates all first, as MMDet does.  The two are equal --
            bilinear resizing is linear per channel, so it commutes with a 1x1 conv; the bias
            is added once, after the sum -- and take the same weights, but reducing first
            does (32 + 64 + 128/16 + 256/64) / 480 = 9/40 of the multiply-adds for W32.
            Convs other than a plain 1x1 ``nn.Conv2d`` (``conv_cfg``) always concatenate
            first.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_outs: int = 5,
                 pooling_type: str = 'AVG',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 with_cp: bool = False,
                 stride: int = 1,
                 share_convs: bool = False,
                 reduce_first: bool = True,
                 init_cfg=dict(type='Caffe2Xavier', layer='Conv2d')):
        super().__init__(init_cfg)
        if not isinstance(in_channels, (list, tuple)) or not in_channels:
            raise TypeError(f'HRFPN: in_channels must be a non-empty list of branch widths, '
                            f'got {in_channels!r}')
        if pooling_type not in POOLING:
            raise ConfigError(f'HRFPN: pooling_type={pooling_type!r}; choose one of '
                             f'{list(POOLING)}')
        if num_outs < 1:
            raise ConfigError(f'HRFPN: num_outs={num_outs} must be >= 1')
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(in_channels)
        self.num_outs = num_outs
        self.with_cp = with_cp
        self.pooling = POOLING[pooling_type]
        self.reduction_conv = ConvModule(sum(in_channels), out_channels, 1, conv_cfg=conv_cfg,
                                         norm_cfg=norm_cfg, act_cfg=None)
        self.reduce_first = bool(reduce_first) and is_plain_1x1(self.reduction_conv.conv)
        if self.reduce_first:  # parameter-free: it reads the reduction conv's weight
            self.resize_concat_conv = ResizeConcatConv(self.reduction_conv.conv,
                                                       self.in_channels)
        num_convs = 1 if share_convs else num_outs
        self.fpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, stride=stride, padding=1,
                       conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=None)
            for _ in range(num_convs))

    def _run(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            return checkpoint(module, x, use_reentrant=False)
        return module(x)

    def _reduce(self, *inputs: torch.Tensor) -> torch.Tensor:
        """The 1x1 reduction of the resized, concatenated branches, with less work."""
        module = self.reduction_conv
        out = self.resize_concat_conv(inputs)
        return module.norm(out) if module.with_norm else out

    def forward(self, inputs: Sequence[torch.Tensor]) -> tuple:
        if len(inputs) != self.num_ins:
            raise ConfigError(f'HRFPN: got {len(inputs)} feature maps but in_channels lists '
                             f'{self.num_ins}; set multiscale_output=True in the backbone')
        given = [x.shape[1] for x in inputs]
        if given != list(self.in_channels):
            # Otherwise a bare conv channel-mismatch error from deep inside torch.cat/conv.
            raise ConfigError(
                f'HRFPN: the backbone gives {given} channels but in_channels='
                f'{self.in_channels}; set neck.in_channels to the backbone\'s out_channels '
                '(HRNet wC: [C, 2C, 4C, 8C])')
        size = inputs[0].shape[-2:]
        # Resizing to the exact size equals MMDet's scale_factor=2**i whenever that fits,
        # and keeps odd-sized inputs working.
        if self.reduce_first:
            if self.with_cp and inputs[0].requires_grad:
                out = checkpoint(self._reduce, *inputs, use_reentrant=False)
            else:
                out = self._reduce(*inputs)
        else:
            feats = [inputs[0]] + [F.interpolate(x, size=size, mode='bilinear',
                                                 align_corners=False) for x in inputs[1:]]
            out = self._run(self.reduction_conv, torch.cat(feats, dim=1))
        levels: List[torch.Tensor] = [out] + [
            self.pooling(out, kernel_size=2**i, stride=2**i) for i in range(1, self.num_outs)]
        convs = [self.fpn_convs[0 if len(self.fpn_convs) == 1 else i]
                 for i in range(self.num_outs)]
        return tuple(self._run(conv, level) for conv, level in zip(convs, levels))
