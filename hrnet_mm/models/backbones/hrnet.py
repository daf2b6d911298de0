"""HRNet: the one implementation behind hrnet_mm.

Papers: "Deep High-Resolution Representation Learning for Visual Recognition" (TPAMI) and
"High-Resolution Representations for Labeling Pixels and Regions" (HRNetV2/V2p).

Structure, top to bottom: architecture presets (data), the two residual blocks, the
multi-resolution module with repeated fusion, and the backbone itself.  Parameter names
follow the official HRNet code, which is also what MMDetection, MMSegmentation, MMPose and
timm use, so their checkpoints load without renaming.

What the three toolbox copies disagree on is an option here:
    upsample_mode   'nearest' (mmdet, mmpose) or 'bilinear' (mmseg, align_corners=False)
    norm_eval       True in mmdet, False in mmseg and mmpose
    container       list (mmdet, mmseg) or tuple (mmpose)
    multiscale_output / out_form   the HRNetV1 (high-resolution only), V2 (concatenated) or
                    all-branch outputs
"""
import copy
import warnings
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmengine.model import BaseModule, constant_init
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

from hrnet_mm.errors import ConfigError


def _stage(num_modules, block, num_blocks, num_channels):
    return dict(num_modules=num_modules, num_branches=len(num_channels), block=block,
                num_blocks=tuple(num_blocks), num_channels=tuple(num_channels))


def _standard(width: int) -> Dict[str, dict]:
    """HRNet-W{width}: branch widths C, 2C, 4C, 8C; 1/4/3 modules in stages 2/3/4."""
    c = width
    return dict(
        stage1=_stage(1, 'BOTTLENECK', (4, ), (64, )),
        stage2=_stage(1, 'BASIC', (4, 4), (c, 2 * c)),
        stage3=_stage(4, 'BASIC', (4, 4, 4), (c, 2 * c, 4 * c)),
        stage4=_stage(3, 'BASIC', (4, 4, 4, 4), (c, 2 * c, 4 * c, 8 * c)))


# The official presets (HRNet-Image-Classification experiments/*.yaml).
ARCH_SETTINGS: Dict[str, Dict[str, dict]] = {
    'w18_small_v1': dict(
        stage1=_stage(1, 'BOTTLENECK', (1, ), (32, )),
        stage2=_stage(1, 'BASIC', (2, 2), (16, 32)),
        stage3=_stage(1, 'BASIC', (2, 2, 2), (16, 32, 64)),
        stage4=_stage(1, 'BASIC', (2, 2, 2, 2), (16, 32, 64, 128))),
    'w18_small_v2': dict(
        stage1=_stage(1, 'BOTTLENECK', (2, ), (64, )),
        stage2=_stage(1, 'BASIC', (2, 2), (18, 36)),
        stage3=_stage(3, 'BASIC', (2, 2, 2), (18, 36, 72)),
        stage4=_stage(2, 'BASIC', (2, 2, 2, 2), (18, 36, 72, 144))),
    **{f'w{c}': _standard(c) for c in (18, 30, 32, 40, 44, 48, 64)},
}

DEFAULT_INIT = [dict(type='Kaiming', layer='Conv2d'),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
STAGE_KEYS = ('num_modules', 'num_branches', 'block', 'num_blocks', 'num_channels')
UPSAMPLE_MODES = ('nearest', 'bilinear')
UPSAMPLE_BY = ('size', 'scale')
OUT_FORMS = ('branches', 'v1', 'v2')


class _NormNames:
    """``norm1``/``norm2`` as properties over the built norm layers (named by their type,
    ``bn1`` or ``gn1``), as the toolboxes' blocks and backbones have them."""

    @property
    def norm1(self):
        return getattr(self, self.norm1_name)

    @property
    def norm2(self):
        return getattr(self, self.norm2_name)


class BasicBlock(_NormNames, nn.Module):
    """Two 3x3 convs with an identity shortcut (the branch unit of stages 2-4)."""
    expansion = 1

    def __init__(self, in_channels, channels, stride=1, downsample=None, conv_cfg=None,
                 norm_cfg=dict(type='BN'), with_cp=False):
        super().__init__()
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, channels, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, channels, postfix=2)
        self.conv1 = build_conv_layer(conv_cfg, in_channels, channels, 3, stride, 1, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, channels, channels, 3, 1, 1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.with_cp = with_cp

    @property
    def last_norm(self):
        return self.norm2

    def _residual(self, x):
        out = self.relu(getattr(self, self.norm1_name)(self.conv1(x)))
        out = getattr(self, self.norm2_name)(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        # In place: `out` is a fresh norm (or, BN folded, conv) output that no backward
        # needs, so this saves allocating and zero-faulting one more activation.
        return out.add_(identity)

    def forward(self, x):
        if self.with_cp and x.requires_grad:
            out = checkpoint(self._residual, x, use_reentrant=False)
        else:
            out = self._residual(x)
        return self.relu(out)


class Bottleneck(_NormNames, nn.Module):
    """1x1-3x3-1x1 bottleneck (stage 1), stride on the 3x3 as in torchvision."""
    expansion = 4

    def __init__(self, in_channels, channels, stride=1, downsample=None, conv_cfg=None,
                 norm_cfg=dict(type='BN'), with_cp=False):
        super().__init__()
        out_channels = channels * self.expansion
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, channels, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, channels, postfix=2)
        self.norm3_name, norm3 = build_norm_layer(norm_cfg, out_channels, postfix=3)
        self.conv1 = build_conv_layer(conv_cfg, in_channels, channels, 1, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, channels, channels, 3, stride, 1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.conv3 = build_conv_layer(conv_cfg, channels, out_channels, 1, bias=False)
        self.add_module(self.norm3_name, norm3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.with_cp = with_cp

    @property
    def norm3(self):
        return getattr(self, self.norm3_name)

    @property
    def last_norm(self):
        return self.norm3

    def _residual(self, x):
        out = self.relu(getattr(self, self.norm1_name)(self.conv1(x)))
        out = self.relu(getattr(self, self.norm2_name)(self.conv2(out)))
        out = getattr(self, self.norm3_name)(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return out.add_(identity)  # in place, as in BasicBlock

    def forward(self, x):
        if self.with_cp and x.requires_grad:
            out = checkpoint(self._residual, x, use_reentrant=False)
        else:
            out = self._residual(x)
        return self.relu(out)


BLOCKS = {'BASIC': BasicBlock, 'BOTTLENECK': Bottleneck}


def make_res_layer(block, in_channels, channels, num_blocks, conv_cfg, norm_cfg, with_cp,
                   stride=1) -> nn.Sequential:
    """A run of residual blocks; the first one adapts channels/stride with a 1x1 shortcut."""
    out_channels = channels * block.expansion
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(
            build_conv_layer(conv_cfg, in_channels, out_channels, 1, stride, bias=False),
            build_norm_layer(norm_cfg, out_channels)[1])
    layers = [block(in_channels, channels, stride, downsample, conv_cfg, norm_cfg, with_cp)]
    layers += [block(out_channels, channels, 1, None, conv_cfg, norm_cfg, with_cp)
               for _ in range(1, num_blocks)]
    return nn.Sequential(*layers)


def conv_norm(conv_cfg, norm_cfg, in_channels, out_channels, kernel_size, stride, relu):
    padding = kernel_size // 2
    layers = [build_conv_layer(conv_cfg, in_channels, out_channels, kernel_size, stride,
                               padding, bias=False),
              build_norm_layer(norm_cfg, out_channels)[1]]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Resize(nn.Module):
    """Upsamples a lower-resolution branch to the exact size of the target branch.

    ``by='size'`` (the official HRNet code, timm): one interpolation to the target size.
    This keeps inputs whose sides are not multiples of 32 working (branch sizes are then
    ceil-divided, so 2x a low branch can overshoot, where MMDet's and MMPose's copies
    crash), and equals the scale-factor result whenever that one fits.

    ``by='scale'`` (MMSeg's copy): interpolate by the branch's scale factor 2**k, then,
    only where that overshoots the target, resize once more to it.  Two bilinear
    interpolations are not one (2% relative at 240x328), so checkpoints trained with
    MMSeg's HRNet need this to give MMSeg's outputs at every input size.  At sizes that
    fit, both ways give the same result.

    It has no parameters, so state_dicts match the toolboxes' ``nn.Upsample`` slot.
    """

    def __init__(self, mode: str, align_corners: Optional[bool], by: str = 'size'):
        super().__init__()
        self.mode = mode
        self.align_corners = None if mode == 'nearest' else bool(align_corners)
        self.by = by

    def forward(self, x, size, scale: int = 1):
        if self.by == 'scale' and scale > 1:
            x = F.interpolate(x, size=[s * scale for s in x.shape[-2:]], mode=self.mode,
                              align_corners=self.align_corners)
            # A traced export (ONNX) records one branch of this test; it keeps the second
            # resize there, so a dynamic-shape graph stays right at sizes that overshoot
            # (a resize to the same size is the identity for nearest and bilinear).
            if tuple(x.shape[-2:]) == tuple(size) and not torch.jit.is_tracing():
                return x
        return F.interpolate(x, size=size, mode=self.mode, align_corners=self.align_corners)


class HRModule(nn.Module):
    """Parallel branches followed by a fusion that exchanges information across resolutions.

    Fusion into branch i sums, over every branch j: the identity (j == i), a 1x1 conv + norm
    then upsample (j > i), or a chain of stride-2 3x3 convs (j < i); then ReLU.
    """

    def __init__(self, block, num_blocks, in_channels: List[int], num_channels, num_outputs,
                 conv_cfg, norm_cfg, with_cp, upsample_mode, align_corners,
                 upsample_by: str = 'size'):
        super().__init__()
        num_branches = len(num_channels)
        self.branches = nn.ModuleList(
            make_res_layer(block, in_channels[b], num_channels[b], num_blocks[b], conv_cfg,
                           norm_cfg, with_cp) for b in range(num_branches))
        self.out_channels = [c * block.expansion for c in num_channels]
        self.fuse_layers = None
        if num_branches > 1:
            self.fuse_layers = nn.ModuleList(
                nn.ModuleList(self._fuse_path(j, i, conv_cfg, norm_cfg)
                              for j in range(num_branches)) for i in range(num_outputs))
        self.upsample = Resize(upsample_mode, align_corners, upsample_by)
        self.relu = nn.ReLU(inplace=True)

    def _fuse_path(self, src, dst, conv_cfg, norm_cfg):
        c = self.out_channels
        if src == dst:
            return None
        if src > dst:  # lower resolution -> channel match here, resize in forward
            return conv_norm(conv_cfg, norm_cfg, c[src], c[dst], 1, 1, relu=False)
        steps = dst - src
        return nn.Sequential(*[
            conv_norm(conv_cfg, norm_cfg, c[src], c[dst] if k == steps - 1 else c[src], 3, 2,
                      relu=k < steps - 1) for k in range(steps)])

    def forward(self, xs: List[torch.Tensor]) -> List[torch.Tensor]:
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        if self.fuse_layers is None:
            return xs
        return [self.relu(self._fuse(i, paths, xs)) for i, paths in enumerate(self.fuse_layers)]

    def _fuse(self, i: int, paths: nn.ModuleList, xs: List[torch.Tensor]) -> torch.Tensor:
        """Sum of every branch's contribution to branch i.

        Terms are added in the toolboxes' order j = 0, 1, ... (bitwise-equal results), into
        a tensor this function owns: a fuse path's fresh output, never ``xs[i]`` itself,
        which the other outputs still read.  Accumulating in place is legal for autograd
        (add's backward needs neither operand; norm and conv backward need their inputs,
        not their outputs) and saves one full-size allocation per term.
        """
        total, owned = None, False
        for j, path in enumerate(paths):
            term = xs[j] if j == i else path(xs[j])
            if total is None:  # j == 0: the identity (i == 0) or a fresh downsampled term
                total, owned = term, j != i
            elif j > i:  # lower resolution, channels already matched: upsample and add
                total, owned = self._add_upsampled(total, term, owned, 2**(j - i)), True
            else:  # j <= i, so total is a fresh downsampled term
                total.add_(term)
        return total

    def _add_upsampled(self, total: torch.Tensor, low: torch.Tensor, owned: bool, scale: int):
        height, width = total.shape[-2:]
        up = self.upsample(low, (height, width), scale)
        # Not owned: `total` is xs[i]; add into the fresh upsampled tensor instead
        # (a + b == b + a exactly in floating point).
        return total.add_(up) if owned else up.add_(total)


class HRNet(_NormNames, BaseModule):
    """High-Resolution Network backbone (HRNetV1 / V2 / V2p).

    Args:
        arch: a preset name from ``ARCH_SETTINGS`` (``'w32'``, ``'w18_small_v2'``, ...).
        extra: explicit stage settings in the toolboxes' format
            (``dict(stage1=dict(num_modules, num_branches, block, num_blocks, num_channels),
            ..., stage4=...)``); MMPose's ``stage4.multiscale_output`` and
            ``upsample=dict(mode, align_corners)`` keys are honoured.  Give ``arch`` or
            ``extra``; ``extra`` wins when both are given and differ only in MMPose keys.
        in_channels: input image channels.
        conv_cfg, norm_cfg: mmcv layer configs (``BN``, ``SyncBN``, ``GN``, ...).
        norm_eval: keep norm layers in eval mode while training (for pretrained backbones;
            from random init leave it False).
        frozen_stages: -1 trains everything; k >= 0 freezes the stem and stages 1..k
            (with the transitions they feed), as MMSeg/MMPose do.
        with_cp: gradient checkpointing of each residual block (non-reentrant).
        zero_init_residual: zero the last norm of every residual block at init, so each
            block starts as identity; skipped when ``init_cfg`` loads a checkpoint.
        multiscale_output: if False the last module fuses into the high-resolution branch
            only (HRNetV1, as in pose estimation).
        out_form: ``'branches'`` (all resolutions, what toolbox heads consume), ``'v1'``
            (high-resolution branch only; implies ``multiscale_output=False``) or ``'v2'``
            (all branches resized to the high resolution and concatenated, optionally mixed
            by a 1x1 conv + norm + ReLU to ``v2_out_channels``).
        upsample_mode, align_corners: upsampling in the fusion (``'nearest'`` as MMDet and
            MMPose, ``'bilinear'`` with ``align_corners=False`` as MMSeg).
        upsample_by: ``'size'`` (one interpolation to the target branch's size, as the
            official code) or ``'scale'`` (by the scale factor, then to the size where
            that overshoots, as MMSeg's copy); they differ only when input sides are not
            multiples of 32 (see ``Resize``).  Use the one the checkpoint was trained with.
        container: ``'list'`` or ``'tuple'``, the type forward returns.
        pretrained: deprecated checkpoint path (use ``init_cfg=dict(type='Pretrained', ...)``).
    """

    def __init__(self,
                 arch: Optional[str] = None,
                 extra: Optional[dict] = None,
                 in_channels: int = 3,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 norm_eval: bool = False,
                 frozen_stages: int = -1,
                 with_cp: bool = False,
                 zero_init_residual: bool = False,
                 multiscale_output: bool = True,
                 out_form: str = 'branches',
                 v2_out_channels: Optional[int] = None,
                 upsample_mode: str = 'nearest',
                 align_corners: bool = False,
                 upsample_by: str = 'size',
                 container: str = 'list',
                 pretrained: Optional[str] = None,
                 init_cfg=None):
        if pretrained is not None:
            if init_cfg is not None:
                raise ConfigError('HRNet: give either `pretrained` or `init_cfg`, not both; '
                                 "prefer init_cfg=dict(type='Pretrained', checkpoint=...)")
            if not isinstance(pretrained, str):
                raise TypeError(f'HRNet: `pretrained` must be a path or URL string, got '
                                f'{type(pretrained).__name__}')
            warnings.warn("HRNet: `pretrained` is deprecated, use "
                          "init_cfg=dict(type='Pretrained', checkpoint=...)")
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=copy.deepcopy(DEFAULT_INIT if init_cfg is None else init_cfg))

        stages = resolve_stages(arch, extra)
        extra = extra or {}
        # MMPose puts these two inside `extra`; they override the top-level arguments.
        multiscale_output = stages['stage4'].get('multiscale_output', multiscale_output)
        upsample = extra.get('upsample') or {}
        upsample_mode = upsample.get('mode', upsample_mode)
        align_corners = upsample.get('align_corners', align_corners)
        _check_choice('out_form', out_form, OUT_FORMS)
        _check_choice('upsample_mode', upsample_mode, UPSAMPLE_MODES)
        _check_choice('upsample_by', upsample_by, UPSAMPLE_BY)
        _check_choice('container', container, ('list', 'tuple'))
        if not (isinstance(frozen_stages, int) and -1 <= frozen_stages <= 4):
            raise ConfigError(f'HRNet: frozen_stages={frozen_stages!r} is out of range; use -1 '
                             '(train all), 0 (freeze the stem) or 1..4 (stem and stages 1..k)')
        if out_form == 'v1':
            multiscale_output = False
        elif out_form == 'v2' and not multiscale_output:
            raise ConfigError("HRNet: out_form='v2' concatenates all branches and needs "
                             'multiscale_output=True')

        self.arch = arch
        self.extra = stages
        self.norm_cfg = copy.deepcopy(norm_cfg)
        self.norm_eval = norm_eval
        self.frozen_stages = frozen_stages
        self.with_cp = with_cp
        self.zero_init_residual = zero_init_residual
        self.multiscale_output = multiscale_output
        self.out_form = out_form
        self.container = tuple if container == 'tuple' else list

        # Stem: two stride-2 3x3 convs (1/4 resolution).
        self.norm1_name, norm1 = build_norm_layer(self.norm_cfg, 64, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(self.norm_cfg, 64, postfix=2)
        self.conv1 = build_conv_layer(conv_cfg, in_channels, 64, 3, 2, 1, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, 64, 64, 3, 2, 1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)

        s1 = stages['stage1']
        block = BLOCKS[s1['block']]
        self.layer1 = make_res_layer(block, 64, s1['num_channels'][0], s1['num_blocks'][0],
                                     conv_cfg, self.norm_cfg, with_cp)
        channels = [s1['num_channels'][0] * block.expansion]

        fuse_opts = dict(conv_cfg=conv_cfg, norm_cfg=self.norm_cfg, with_cp=with_cp,
                         upsample_mode=upsample_mode, align_corners=align_corners,
                         upsample_by=upsample_by)
        for k in (2, 3, 4):
            cfg = stages[f'stage{k}']
            block = BLOCKS[cfg['block']]
            target = [c * block.expansion for c in cfg['num_channels']]
            self.add_module(f'transition{k - 1}',
                            self._transition(channels, target, conv_cfg, self.norm_cfg))
            modules = []
            for m in range(cfg['num_modules']):
                last = k == 4 and m == cfg['num_modules'] - 1
                num_outputs = 1 if last and not multiscale_output else len(target)
                module = HRModule(block, cfg['num_blocks'], target,
                                  cfg['num_channels'], num_outputs, **fuse_opts)
                modules.append(module)
            self.add_module(f'stage{k}', nn.Sequential(*modules))
            channels = target
        self.out_channels = channels if multiscale_output else channels[:1]

        self.v2_mix = None
        if out_form == 'v2':
            self.upsample = Resize(upsample_mode, align_corners, upsample_by)
            if v2_out_channels is not None:
                self.v2_mix = conv_norm(conv_cfg, self.norm_cfg, sum(channels), v2_out_channels,
                                        1, 1, relu=True)
            self.out_channels = [v2_out_channels or sum(channels)]
        self._freeze_stages()

    # -- construction helpers ------------------------------------------------------------
    @staticmethod
    def _transition(prev: List[int], cur: List[int], conv_cfg, norm_cfg) -> nn.ModuleList:
        """Adapts existing branches' widths and spawns the new lower-resolution branch."""
        layers = []
        for i, c in enumerate(cur):
            if i < len(prev):
                layers.append(None if prev[i] == c else
                              conv_norm(conv_cfg, norm_cfg, prev[i], c, 3, 1, relu=True))
            else:
                steps = i + 1 - len(prev)
                layers.append(nn.Sequential(*[
                    conv_norm(conv_cfg, norm_cfg, prev[-1], c if k == steps - 1 else prev[-1],
                              3, 2, relu=True) for k in range(steps)]))
        return nn.ModuleList(layers)

    # -- forward --------------------------------------------------------------------------
    def forward(self, x: torch.Tensor):
        x = self.relu(self.norm1(self.conv1(x)))
        x = self.relu(self.norm2(self.conv2(x)))
        xs = [self.layer1(x)]
        for k in (2, 3, 4):
            transition = getattr(self, f'transition{k - 1}')
            # New branches grow from the lowest-resolution output of the previous stage.
            xs = [xs[i] if t is None and i < len(xs) else t(xs[min(i, len(xs) - 1)])
                  for i, t in enumerate(transition)]
            xs = getattr(self, f'stage{k}')(xs)
        if self.out_form == 'v2':
            size = xs[0].shape[-2:]
            out = torch.cat([xs[0]] + [self.upsample(x, size, 2**k)
                                       for k, x in enumerate(xs[1:], 1)], dim=1)
            xs = [out if self.v2_mix is None else self.v2_mix(out)]
        return self.container(xs)

    # -- training behaviour ---------------------------------------------------------------
    def _frozen_modules(self):
        if self.frozen_stages >= 0:
            yield from (self.conv1, self.norm1, self.conv2, self.norm2)
        for k in range(1, self.frozen_stages + 1):
            yield self.layer1 if k == 1 else getattr(self, f'stage{k}')
            if k < 4:
                yield getattr(self, f'transition{k}')

    def _freeze_stages(self):
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    # Layers no HRNet checkpoint holds: they keep their random init when weights load.
    fresh_prefixes = ('v2_mix.', )

    def init_weights(self):
        pretrained = self.init_cfg if isinstance(self.init_cfg, dict) and \
            self.init_cfg.get('type') == 'Pretrained' else None
        if pretrained is None:
            super().init_weights()
            if self.zero_init_residual:
                for m in self.modules():
                    if isinstance(m, (BasicBlock, Bottleneck)):
                        constant_init(m.last_norm, 0)
            return
        # Any HRNet checkpoint layout (official, timm, toolbox zoo, mmpretrain) loads through
        # hrnet_mm.weights, which also refuses a silent partial load.
        from hrnet_mm.weights import load_backbone_weights
        self.init_cfg = DEFAULT_INIT
        try:
            super().init_weights()
        finally:
            self.init_cfg = pretrained
        load_backbone_weights(self, pretrained['checkpoint'],
                              allow_partial=pretrained.get('allow_partial', False),
                              source=str(pretrained['checkpoint']))


# -- configuration parsing --------------------------------------------------------------
def _check_choice(name, value, choices):
    if value not in choices:
        raise ConfigError(f'HRNet: {name}={value!r} is not valid; choose one of {list(choices)}')


def resolve_stages(arch: Optional[str], extra: Optional[dict]) -> Dict[str, dict]:
    """Returns validated stage settings from a preset name or an explicit ``extra``."""
    if arch is None and extra is None:
        raise ConfigError(f"HRNet: give `arch` (one of {sorted(ARCH_SETTINGS)}) or `extra` "
                         "(dict(stage1=..., stage4=...) as in the toolbox configs)")
    if arch is not None and arch not in ARCH_SETTINGS:
        raise ConfigError(f'HRNet: unknown arch {arch!r}; valid presets: {list(ARCH_SETTINGS)}')
    if extra is None or not any(f'stage{k}' in extra for k in (1, 2, 3, 4)):
        return copy.deepcopy(ARCH_SETTINGS[arch])
    stages = {}
    for k in (1, 2, 3, 4):
        name = f'stage{k}'
        if name not in extra:
            raise ConfigError(f'HRNet: extra is missing {name!r}; it needs stage1..stage4, each '
                             f'with {list(STAGE_KEYS)}')
        cfg = dict(extra[name])
        missing = [key for key in STAGE_KEYS if key not in cfg]
        if missing:
            raise ConfigError(f'HRNet: extra[{name!r}] is missing {missing}; each stage needs '
                             f'{list(STAGE_KEYS)}')
        if cfg['block'] not in BLOCKS:
            raise ConfigError(f"HRNet: extra[{name!r}]['block']={cfg['block']!r}; valid blocks: "
                             f'{list(BLOCKS)}')
        expected = 1 if k == 1 else k
        if cfg['num_branches'] != expected:
            raise ConfigError(f"HRNet: extra[{name!r}]['num_branches']={cfg['num_branches']} "
                             f'but stage {k} of HRNet has {expected} branch(es)')
        for key in ('num_blocks', 'num_channels'):
            if len(cfg[key]) != cfg['num_branches']:
                raise ConfigError(
                    f"HRNet: extra[{name!r}]['{key}'] has {len(cfg[key])} entries but "
                    f"num_branches={cfg['num_branches']}; give one entry per branch")
        if not (isinstance(cfg['num_modules'], int) and cfg['num_modules'] >= 1):
            raise ConfigError(f"HRNet: extra[{name!r}]['num_modules']={cfg['num_modules']!r}; "
                             'it must be a positive integer')
        cfg['num_blocks'] = tuple(cfg['num_blocks'])
        cfg['num_channels'] = tuple(cfg['num_channels'])
        stages[name] = cfg
    if arch is not None:
        preset = ARCH_SETTINGS[arch]
        core = {n: {k: stages[n][k] for k in STAGE_KEYS} for n in preset}
        if core != preset:
            raise ConfigError(f'HRNet: arch={arch!r} conflicts with the explicit `extra`; give '
                             'only one of them')
    return stages
