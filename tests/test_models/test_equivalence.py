"""hrnet_mm equals each toolbox's own HRNet/HRFPN, given that toolbox's weights.

Each built-in is randomly initialised (with randomised BN statistics), its state_dict is
loaded *strictly* into hrnet_mm's class built through the same toolbox registry with the
same config arguments, and outputs must agree to 1e-5 relative, in eval and train mode,
on a non-square input.
"""
import copy
import importlib

import pytest
import torch
from mmengine.registry import DefaultScope

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.models import HRFPN, HRNet
from helpers import randomize

RTOL = 1e-5


def build(scope, cfg):
    """Builds ``cfg`` from toolbox ``scope``'s registry under that scope.

    mmengine builds from the registry of the *current default scope*, and a Runner
    earlier in the same process leaves its scope behind; making it explicit keeps these
    tests independent of what ran before them.
    """
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        return registry.build(cfg)


def w(c):
    return dict(
        stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                    num_channels=(64, )),
        stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                    num_channels=(c, 2 * c)),
        stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                    num_channels=(c, 2 * c, 4 * c)),
        stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                    num_channels=(c, 2 * c, 4 * c, 8 * c)))


def assert_same(ours, theirs):
    assert type(ours) is type(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        err = (a - b).abs().max() / b.abs().max().clamp_min(1e-12)
        assert err <= RTOL, f'relative error {err:.2e}'


def compare(builtin, ours, x, modes=('eval', 'train')):
    ours.load_state_dict(builtin.state_dict(), strict=True)
    for mode in modes:
        getattr(builtin, mode)()
        getattr(ours, mode)()
        with torch.no_grad():
            assert_same(ours(fresh(x)), builtin(fresh(x)))


def fresh(x):
    # Fresh copies: the toolbox modules modify their input lists in place.
    return x.clone() if torch.is_tensor(x) else [t.clone() for t in x]


X = torch.randn(2, 3, 96, 160, generator=torch.Generator().manual_seed(0))


def test_mmdet_hrnetv2p_w32_and_hrfpn():
    cfg = dict(type='HRNet', extra=w(32))
    builtin = randomize(build('mmdet', {**cfg, 'type': 'BuiltinHRNet'}), 0)
    ours = build('mmdet', cfg)
    assert isinstance(ours, HRNet) and ours.norm_eval  # mmdet's default
    compare(builtin, ours, X)
    # train mode with batch statistics, as fine-tuning with norm_eval=False runs
    builtin_bn = randomize(build('mmdet', {**cfg, 'type': 'BuiltinHRNet', 'norm_eval': False}), 1)
    compare(builtin_bn, build('mmdet', {**cfg, 'norm_eval': False}), X)

    neck_cfg = dict(type='HRFPN', in_channels=[32, 64, 128, 256], out_channels=256)
    builtin_neck = randomize(build('mmdet', {**neck_cfg, 'type': 'BuiltinHRFPN'}), 2)
    our_neck = build('mmdet', neck_cfg)
    assert isinstance(our_neck, HRFPN)
    builtin.eval()
    with torch.no_grad():
        feats = builtin(X)
    compare(builtin_neck, our_neck, feats)


def test_mmdet_gradients_match():
    cfg = dict(type='HRNet', extra=w(18), norm_eval=False)
    builtin = randomize(build('mmdet', {**cfg, 'type': 'BuiltinHRNet'}), 3)
    assert builtin.train() is None  # mmdet's train() returns None; ours returns the module
    ours = build('mmdet', cfg).train()
    ours.load_state_dict(builtin.state_dict(), strict=True)
    for model in (builtin, ours):
        sum(o.square().mean() for o in model(X)).backward()
    for (name, a), (_, b) in zip(ours.named_parameters(), builtin.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-7, msg=name)


def test_mmseg_hrnet_w18():
    cfg = dict(type='HRNet', norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
               extra=w(18))
    builtin = randomize(build('mmseg', {**cfg, 'type': 'BuiltinHRNet'}), 4)
    ours = build('mmseg', cfg)
    assert isinstance(ours, HRNet) and ours.stage2[0].upsample.mode == 'bilinear'
    compare(builtin, ours, X)


def test_mmpose_hrnet_w32():
    cfg = dict(type='HRNet', in_channels=3, extra=w(32))
    builtin = randomize(build('mmpose', {**cfg, 'type': 'BuiltinHRNet'}), 5)
    ours = build('mmpose', cfg)
    assert isinstance(ours, HRNet) and not ours.multiscale_output  # mmpose's default
    compare(builtin, ours, torch.randn(2, 3, 128, 96))  # a pose crop, 4:3
    multi = copy.deepcopy(w(32))
    multi['stage4']['multiscale_output'] = True
    multi['upsample'] = dict(mode='bilinear', align_corners=False)
    builtin = randomize(build('mmpose', {**cfg, 'type': 'BuiltinHRNet', 'extra': multi}), 6)
    compare(builtin, build('mmpose', {**cfg, 'extra': multi}), X)


def test_scoped_name_and_other_models_unaffected():
    generic = build('mmdet', dict(type='hrnet_mm.HRNet', arch='w18'))
    assert type(generic) is HRNet and not generic.norm_eval
    assert type(build('mmseg', dict(type='hrnet_mm.HRFPN', in_channels=[8, 16],
                                    out_channels=8))) is HRFPN
    for scope, cfg in [
        ('mmdet', dict(type='ResNet', depth=18)),
        ('mmseg', dict(type='FCNHead', in_channels=8, channels=8, num_classes=3)),
        ('mmpose', dict(type='HeatmapHead', in_channels=8, out_channels=17)),
    ]:
        assert build(scope, cfg) is not None
    assert isinstance(build('mmpose', dict(type='HRNet', extra=w(18))).eval()(X), tuple)
    assert isinstance(build('mmseg', dict(type='HRNet', extra=w(18))).eval()(X), list)


def toolbox_hrnet_configs():
    """Every config shipped inside mmdet/mmseg/mmpose that sets ``type='HRNet'``."""
    import glob
    import os.path as osp
    for scope in ('mmdet', 'mmseg', 'mmpose'):
        root = osp.join(osp.dirname(importlib.import_module(scope).__file__), '.mim', 'configs')
        for path in sorted(glob.glob(osp.join(root, '**', '*.py'), recursive=True)):
            with open(path) as f:
                if "type='HRNet'" in f.read():
                    yield scope, path


@pytest.mark.slow
def test_every_toolbox_hrnet_config_is_a_drop_in():
    """The toolboxes' own HRNet configs, unchanged, build hrnet_mm's HRNet; for each
    distinct backbone setting among them, outputs equal the built-in's."""
    import json

    from mmengine.config import Config
    distinct = {}
    configs = list(toolbox_hrnet_configs())
    for scope, path in configs:
        backbone = Config.fromfile(path).model.backbone.to_dict()
        backbone.pop('init_cfg', None)
        backbone.pop('pretrained', None)
        distinct.setdefault((scope, json.dumps(backbone, sort_keys=True)), backbone)
    assert len(configs) >= 90 and len(distinct) >= 8, (len(configs), len(distinct))
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(2))
    for (scope, _), backbone in distinct.items():
        ours = build(scope, backbone)
        assert isinstance(ours, HRNet), scope
        builtin = randomize(build(scope, {**backbone, 'type': 'BuiltinHRNet'}), 7)
        compare(builtin, ours, x, modes=('eval', ))


# -- input sides that are not multiples of 32 ------------------------------------------
def odd(h, w, seed=3):
    return torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize('size', [(240, 328), (473, 473), (250, 370)])
def test_mmseg_equal_at_sizes_not_divisible_by_32(size):
    """MMSeg upsamples by the scale factor, then resizes to the exact size: two
    interpolations where they overshoot; the mmseg-registered HRNet does the same."""
    cfg = dict(type='HRNet', norm_cfg=dict(type='BN', requires_grad=True), extra=w(18))
    builtin = randomize(build('mmseg', {**cfg, 'type': 'BuiltinHRNet'}), 8)
    ours = build('mmseg', cfg)
    assert ours.stage2[0].upsample.by == 'scale'
    compare(builtin, ours, odd(*size))


def test_one_resize_is_the_official_option_and_differs_only_at_odd_sizes():
    cfg = dict(type='HRNet', norm_cfg=dict(type='BN', requires_grad=True), extra=w(18))
    builtin = randomize(build('mmseg', {**cfg, 'type': 'BuiltinHRNet'}), 9)
    builtin.eval()  # the built-ins' train()/eval() return None
    official = build('mmseg', {**cfg, 'upsample_by': 'size'}).eval()
    official.load_state_dict(builtin.state_dict())
    with torch.no_grad():
        assert_same(official(odd(256, 320)), builtin(odd(256, 320)))
        a, b = official(odd(240, 328)), builtin(odd(240, 328))
    rel = max(((x - y).abs().max() / y.abs().max()).item() for x, y in zip(a, b))
    assert rel > 1e-3, rel  # a real difference: the option matters for such checkpoints


@pytest.mark.parametrize('scope', ['mmdet', 'mmpose'])
def test_mmdet_and_mmpose_equal_where_their_builtin_runs(scope):
    """254x350 is not a multiple of 32 but every branch size doubles exactly, so the
    built-ins run (at most such sizes they crash; hrnet_mm runs at any size)."""
    cfg = dict(type='HRNet', extra=w(18))
    if scope == 'mmdet':
        cfg['norm_eval'] = False
    builtin = randomize(build(scope, {**cfg, 'type': 'BuiltinHRNet'}), 10)
    compare(builtin, build(scope, cfg), odd(254, 350))
    builtin.eval()
    with pytest.raises(RuntimeError):
        builtin(odd(240, 328))
    assert build(scope, cfg).eval()(odd(240, 328))[0].shape[-2:] == (60, 82)
