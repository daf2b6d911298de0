"""Registration glue: how `dict(type='HRNet')` reaches hrnet_mm from every toolbox.

Precedence, after :func:`register_all` (``custom_imports=dict(imports=['hrnet_mm.plugin'])``
in a config, or ``hrnet_mm.register_all()``):

* ``'HRNet'`` in the mmdet, mmseg and mmpose registries builds hrnet_mm's HRNet with that
  toolbox's defaults, arguments and return type (``TOOLBOX_DEFAULTS``); ``'HRFPN'`` in
  mmdet's builds hrnet_mm's HRFPN.  This overrides the toolbox's own class.
* ``'BuiltinHRNet'`` (and ``'BuiltinHRFPN'`` in mmdet) still build the toolbox's own copy.
* ``'hrnet_mm.HRNet'`` / ``'hrnet_mm.HRFPN'`` build hrnet_mm's classes with hrnet_mm's own
  defaults, from any registry and under any default scope; so do
  ``'hrnet_mm.HRNetImageClassifier'`` / ``'hrnet_mm.HRNetClsHead'`` (ImageNet configs).
* ``'hrnet_mm.NonFiniteLossHook'`` / ``'hrnet_mm.CheckpointMatchHook'`` in ``custom_hooks``
  (``hrnet_mm.engine.hooks``), from any toolbox.
* ``'hrnet_mm.CPUAutocastOptimWrapper'`` as ``optim_wrapper.type``: bf16 autocast training on
  the CPU (``hrnet_mm.engine.optim_wrapper``; ``tools/train.py --amp`` without a GPU).
* ``'FlipSwapSegTTAModel'`` in mmseg's registry: flip testing with left/right label
  swapping (the LIP configs' ``tta_model``); ``'HRNetV2Head'``: mmseg's HRNetV2
  ``FCNHead`` with 9/40 of its 1x1 conv's work (``hrnet_mm.models.heads``).  Both are new, so
  they override nothing.

Everything hrnet_mm registers anywhere is registered here.  hrnet_mm's own registries
(``MODELS``, ``HOOKS``, ``OPTIM_WRAPPERS``) are filled when this module is imported; the toolboxes' only by
:func:`register_all`, once.
"""
import importlib
import inspect
from typing import Dict, Optional

from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import Registry

from .errors import ConfigError
from .engine.hooks import CheckpointMatchHook, NonFiniteLossHook, ProgressHook
from .engine.optim_wrapper import CPUAutocastOptimWrapper
from .models import HRFPN, HRNet
from .models.backbones.hrnet import BasicBlock, Bottleneck, HRModule
from .models.classifiers import HRNetClsHead, HRNetImageClassifier

# mmengine resolves the 'hrnet_mm.' scope prefix by importing `hrnet_mm.registry`.
MODELS = Registry('model', parent=MMENGINE_MODELS, scope='hrnet_mm', locations=['hrnet_mm.models'])
for _module in (HRNet, HRFPN, HRNetClsHead, HRNetImageClassifier):
    MODELS.register_module(module=_module)
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='hrnet_mm', locations=['hrnet_mm.engine.hooks'])
for _hook in (NonFiniteLossHook, CheckpointMatchHook, ProgressHook):
    HOOKS.register_module(module=_hook)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope='hrnet_mm',
                          locations=['hrnet_mm.engine.optim_wrapper'])
OPTIM_WRAPPERS.register_module(module=CPUAutocastOptimWrapper)

_CONV_NORM_INIT = dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])

# What each toolbox's own HRNet defaults to; everything else is hrnet_mm's default.
TOOLBOX_DEFAULTS: Dict[str, dict] = {
    'mmdet': dict(norm_eval=True, upsample_mode='nearest', container='list'),
    # MMSeg upsamples by the scale factor, then resizes to the target size where that
    # overshoots (hrnet_mm.models.backbones.hrnet.Resize): its zoo was trained so.
    'mmseg': dict(norm_eval=False, norm_cfg=dict(type='BN', requires_grad=True),
                  upsample_mode='bilinear', align_corners=False, upsample_by='scale',
                  container='list'),
    # MMPose's stage 4 fuses into the high-resolution branch only unless
    # extra['stage4']['multiscale_output'] says otherwise.
    'mmpose': dict(norm_eval=False, multiscale_output=False, upsample_mode='nearest',
                   container='tuple',
                   init_cfg=[dict(type='Normal', std=0.001, layer=['Conv2d']), _CONV_NORM_INIT]),
}


# Arguments of the toolboxes' ResNet-style backbones: given to HRNet, they mean a config
# merged its backbone dict into a base config's ResNet one.
_OTHER_BACKBONE_ARGS = ('depth', 'num_stages', 'out_indices', 'strides', 'dilations', 'style',
                        'deep_stem', 'avg_down', 'base_channels', 'stem_channels', 'dcn',
                        'stage_with_dcn', 'plugins', 'contract_dilation', 'out_channels')
_HRNET_ARGS = tuple(inspect.signature(HRNet.__init__).parameters)[1:]


def check_hrnet_kwargs(kwargs: dict) -> None:
    """A clear error for arguments HRNet does not take, naming the usual cause."""
    unknown = sorted(k for k in kwargs if k not in _HRNET_ARGS)
    if not unknown:
        return
    inherited = [k for k in unknown if k in _OTHER_BACKBONE_ARGS]
    if inherited:
        raise ConfigError(
            f'HRNet got {inherited}, arguments of the backbone it replaces: the config merged '
            "backbone=dict(type='HRNet', ...) into its base config's backbone. Write "
            "backbone=dict(_delete_=True, type='HRNet', ...) when replacing another backbone.")
    raise ConfigError(f'HRNet got unknown arguments {unknown}; it takes {list(_HRNET_ARGS)}')


def toolbox_hrnet(scope: str) -> type:
    """HRNet taking ``extra`` first, as the toolbox classes do, with the toolbox's defaults."""
    defaults = TOOLBOX_DEFAULTS[scope]

    def __init__(self, extra: Optional[dict] = None, **kwargs):
        check_hrnet_kwargs(kwargs)
        HRNet.__init__(self, extra=extra, **{**defaults, **kwargs})

    name = {'mmdet': 'MMDetHRNet', 'mmseg': 'MMSegHRNet', 'mmpose': 'MMPoseHRNet'}[scope]
    return type(name, (HRNet, ), dict(__init__=__init__, __module__=__name__,
                                      __doc__=f'hrnet_mm HRNet with {scope} defaults.'))


MMDetHRNet = toolbox_hrnet('mmdet')
MMSegHRNet = toolbox_hrnet('mmseg')
MMPoseHRNet = toolbox_hrnet('mmpose')
_VARIANTS = {'mmdet': MMDetHRNet, 'mmseg': MMSegHRNet, 'mmpose': MMPoseHRNet}

# The toolboxes' residual blocks, by class name, mapped to hrnet_mm's (same expansion,
# same parameter names).
_BLOCKS_BY_NAME = {'BasicBlock': BasicBlock, 'Bottleneck': Bottleneck}


def toolbox_hrmodule(scope: str) -> type:
    """hrnet_mm's HRModule with the toolbox's constructor, for code that builds one directly.

    The toolboxes take ``(num_branches, blocks, num_blocks, in_channels, num_channels,
    multiscale_output, with_cp, conv_cfg, norm_cfg, ...)`` with a block *class* (theirs or
    hrnet_mm's); hrnet_mm's HRModule takes the block and the number of fused outputs.
    """
    defaults = TOOLBOX_DEFAULTS[scope]
    multiscale_default = scope != 'mmpose'  # MMPose's HRModule defaults to one output

    def __init__(self, num_branches, blocks, num_blocks, in_channels, num_channels,
                 multiscale_output=multiscale_default, with_cp=False, conv_cfg=None,
                 norm_cfg=dict(type='BN'), block_init_cfg=None, init_cfg=None,
                 upsample_cfg=None):
        for name in ('num_blocks', 'in_channels', 'num_channels'):
            given = locals()[name]
            if len(given) != num_branches:
                raise ConfigError(f'HRModule: num_branches={num_branches} but {name} has '
                                  f'{len(given)} entries; give one per branch')
        block = _BLOCKS_BY_NAME.get(getattr(blocks, '__name__', None))
        if block is None:
            raise ConfigError(f'HRModule: blocks={blocks!r}; give a BasicBlock or Bottleneck '
                              'class')
        if block_init_cfg is not None or init_cfg is not None:
            raise ConfigError('HRModule: block_init_cfg/init_cfg are not supported here; '
                              'use HRNet(zero_init_residual=True) for zero-initialised blocks')
        upsample = upsample_cfg or {}
        HRModule.__init__(
            self, block, num_blocks, list(in_channels), num_channels,
            num_branches if multiscale_output else 1, conv_cfg, norm_cfg, with_cp,
            upsample.get('mode', defaults['upsample_mode']),
            upsample.get('align_corners', defaults.get('align_corners', False)),
            defaults.get('upsample_by', 'size'))
        self.num_branches = num_branches
        self.in_channels = list(in_channels)
        self.multiscale_output = multiscale_output

    name = {'mmdet': 'MMDetHRModule', 'mmseg': 'MMSegHRModule', 'mmpose': 'MMPoseHRModule'}[scope]
    return type(name, (HRModule, ), dict(__init__=__init__, __module__=__name__,
                                         __doc__=f'hrnet_mm HRModule with {scope} arguments.'))


# What a toolbox's own code or tests import from its hrnet module, as hrnet_mm classes.
TOOLBOX_CLASSES: Dict[str, Dict[str, type]] = {
    scope: dict(HRNet=_VARIANTS[scope], HRModule=toolbox_hrmodule(scope),
                BasicBlock=BasicBlock, Bottleneck=Bottleneck)
    for scope in _VARIANTS}


def _override(registry: Registry, name: str, module: type) -> None:
    original = registry.get(name) if name in registry.module_dict else None
    if original is not None and original is not module and f'Builtin{name}' not in registry:
        registry.register_module(name=f'Builtin{name}', module=original)
    registry.register_module(name=name, module=module, force=True)


def register_into_toolboxes() -> Dict[str, bool]:
    """Registers hrnet_mm's classes into every installed toolbox (idempotent).

    Returns which toolboxes were found.  The toolbox's model package is imported first:
    its registry would otherwise import it lazily at the first build, and its own
    ``@register_module`` would then clash with (or silently replace) ours.
    """
    found = {}
    for scope, variant in _VARIANTS.items():
        try:
            registry = importlib.import_module(f'{scope}.registry').MODELS
            importlib.import_module(f'{scope}.models')
        except ImportError:
            found[scope] = False
            continue
        _override(registry, 'HRNet', variant)
        if scope == 'mmdet':
            _override(registry, 'HRFPN', HRFPN)
        if scope == 'mmseg':
            # mmseg's datasets too: the LIP configs use its own LIPDataset.
            importlib.import_module('mmseg.datasets')
            from .models.heads import HRNetV2Head
            from .models.segmentors import FlipSwapSegTTAModel
            registry.register_module(name='FlipSwapSegTTAModel', module=FlipSwapSegTTAModel,
                                     force=True)
            registry.register_module(name='HRNetV2Head', module=HRNetV2Head, force=True)
        found[scope] = True
    return found


_REGISTERED: Optional[Dict[str, bool]] = None


def register_all() -> Dict[str, bool]:
    """The shims (:func:`hrnet_mm.compat.apply_all`), then :func:`register_into_toolboxes`;
    once per process.  Returns which toolboxes were found."""
    global _REGISTERED
    if _REGISTERED is None:
        from . import compat
        compat.apply_all()  # before the toolboxes load checkpoints or build datasets
        _REGISTERED = register_into_toolboxes()
    return dict(_REGISTERED)
