"""HRFPN (the HRNetV2p neck): every option does what it says, against a hand-written
reference built from the module's own weights."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from hrnet_mm.models import HRFPN, HRNet

IN_CHANNELS = [4, 8, 16, 32]


def feats(h=32, w=24, seed=0, requires_grad=False):
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i, c in enumerate(IN_CHANNELS):
        size = (-(-h // 2**i), -(-w // 2**i))  # ceil, as HRNet's strided convs give
        out.append(torch.randn(2, c, *size, generator=gen).requires_grad_(requires_grad))
    return out


def conv_module(module, x):
    """mmcv ConvModule (conv [-> norm]) computed by hand."""
    x = module.conv(x)
    return module.norm(x) if getattr(module, 'with_norm', False) else x


def reference(neck, inputs):
    size = inputs[0].shape[-2:]
    cat = torch.cat([inputs[0]] + [F.interpolate(x, size=size, mode='bilinear',
                                                 align_corners=False) for x in inputs[1:]], 1)
    out = conv_module(neck.reduction_conv, cat)
    pool = F.avg_pool2d if neck.pooling is F.avg_pool2d else F.max_pool2d
    levels = [out] + [pool(out, 2**i, 2**i) for i in range(1, neck.num_outs)]
    convs = [neck.fpn_convs[0 if len(neck.fpn_convs) == 1 else i] for i in range(neck.num_outs)]
    return [conv_module(c, lv) for c, lv in zip(convs, levels)]


def assert_close_lists(a, b):
    """Equal to 1e-5 of each output's scale: the per-branch reduction (the default) sums
    in another order than the concatenating reference, so single elements near zero differ
    in their last bits."""
    from hrnet_mm.deploy import max_relative_error
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape
        assert max_relative_error(x, y) <= 1e-5, max_relative_error(x, y)


@pytest.mark.parametrize('pooling_type', ['AVG', 'MAX'])
def test_pyramid_matches_the_reference(pooling_type):
    neck = HRFPN(IN_CHANNELS, 12, num_outs=4, pooling_type=pooling_type).eval()
    neck.init_weights()
    x = feats()
    with torch.no_grad():
        outs = neck(x)
        expected = reference(neck, x)
    assert isinstance(outs, tuple) and len(outs) == 4
    assert [o.shape[-2:] for o in outs] == [(32, 24), (16, 12), (8, 6), (4, 3)]
    assert all(o.shape[1] == 12 for o in outs)
    assert_close_lists(list(outs), expected)


def test_avg_and_max_pooling_differ():
    x = feats()
    avg = HRFPN(IN_CHANNELS, 12, num_outs=3, pooling_type='AVG').eval()
    mx = HRFPN(IN_CHANNELS, 12, num_outs=3, pooling_type='MAX').eval()
    mx.load_state_dict(avg.state_dict())
    with torch.no_grad():
        a, m = avg(x), mx(x)
    assert torch.equal(a[0], m[0]) and not torch.allclose(a[1], m[1])


def test_shared_convs():
    shared = HRFPN(IN_CHANNELS, 12, num_outs=5, share_convs=True).eval()
    separate = HRFPN(IN_CHANNELS, 12, num_outs=5).eval()
    assert len(shared.fpn_convs) == 1 and len(separate.fpn_convs) == 5
    per_conv = sum(p.numel() for p in separate.fpn_convs[0].parameters())
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(separate) - count(shared) == 4 * per_conv
    x = feats(64, 48)
    with torch.no_grad():
        assert_close_lists(list(shared(x)), reference(shared, x))


def test_stride():
    neck = HRFPN(IN_CHANNELS, 12, num_outs=3, stride=2).eval()
    x = feats()
    with torch.no_grad():
        outs = neck(x)
    assert [o.shape[-2:] for o in outs] == [(16, 12), (8, 6), (4, 3)]
    assert_close_lists(list(outs), reference(neck, x))


@pytest.mark.parametrize('norm_cfg,cls', [(dict(type='BN'), nn.BatchNorm2d),
                                          (dict(type='GN', num_groups=4), nn.GroupNorm)])
def test_norm_cfg_is_applied(norm_cfg, cls):
    """MMDet's HRFPN accepts norm_cfg and ignores it; here every conv gets the norm."""
    neck = HRFPN(IN_CHANNELS, 12, num_outs=3, norm_cfg=norm_cfg)
    norms = [m for m in neck.modules() if isinstance(m, cls)]
    assert len(norms) == 1 + 3  # the reduction conv and every 3x3 conv
    assert neck.reduction_conv.conv.bias is None  # a norm follows: no conv bias
    neck.train()
    outs = neck(feats())
    if cls is nn.BatchNorm2d:  # training-mode BN output: zero mean per channel
        assert outs[0].mean(dim=(0, 2, 3)).abs().max() < 1e-4
    neck.eval()
    with torch.no_grad():
        assert_close_lists(list(neck(feats())), reference(neck, feats()))


def test_without_norm_the_convs_have_bias():
    neck = HRFPN(IN_CHANNELS, 12, num_outs=2)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) for m in neck.modules())
    assert neck.reduction_conv.conv.bias is not None


def test_with_cp_same_values_and_gradients_and_recomputes():
    torch.manual_seed(0)
    plain = HRFPN(IN_CHANNELS, 12, num_outs=3, norm_cfg=dict(type='BN')).train()
    ckpt = HRFPN(IN_CHANNELS, 12, num_outs=3, norm_cfg=dict(type='BN'), with_cp=True).train()
    ckpt.load_state_dict(plain.state_dict())
    calls = []
    original = ckpt._reduce  # the per-branch reduction (the default)
    ckpt._reduce = lambda *xs: (calls.append(1), original(*xs))[1]
    for neck in (plain, ckpt):
        sum(o.square().mean() for o in neck(feats(requires_grad=True))).backward()
    assert len(calls) == 2  # forward, then recomputed during backward
    for (name, a), (_, b) in zip(plain.named_parameters(), ckpt.named_parameters()):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_odd_input_sizes_from_hrnet():
    backbone = HRNet(extra=dict(
        stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(1, ),
                    num_channels=(8, )),
        stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(1, 1),
                    num_channels=(4, 8)),
        stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(1, 1, 1),
                    num_channels=(4, 8, 16)),
        stage4=dict(num_modules=1, num_branches=4, block='BASIC', num_blocks=(1, 1, 1, 1),
                    num_channels=(4, 8, 16, 32)))).eval()
    neck = HRFPN(IN_CHANNELS, 12, num_outs=3).eval()
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, 131, 93)))
    assert [o.shape[-2:] for o in outs] == [(33, 24), (16, 12), (8, 6)]


@pytest.mark.parametrize('kwargs,message', [
    (dict(in_channels=32, out_channels=8), 'in_channels must be a non-empty list'),
    (dict(in_channels=[], out_channels=8), 'in_channels must be a non-empty list'),
    (dict(in_channels=IN_CHANNELS, out_channels=8, pooling_type='MEAN'), "'MEAN'"),
    (dict(in_channels=IN_CHANNELS, out_channels=8, num_outs=0), 'num_outs=0'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        HRFPN(**kwargs)


def test_wrong_number_of_branches_names_the_fix():
    neck = HRFPN(IN_CHANNELS, 8)
    with pytest.raises(ValueError, match='got 1 feature maps.*multiscale_output=True'):
        neck(feats()[:1])


# -- against MMDet's own HRFPN, with the same weights (MMDet has no HRFPN test) ---------
def mmdet_pair(**kwargs):
    """(MMDet's built-in HRFPN, hrnet_mm's through mmdet's registry), same weights."""
    import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    cfg = dict(type='HRFPN', in_channels=IN_CHANNELS, out_channels=12, **kwargs)
    with DefaultScope.overwrite_default_scope('mmdet'):
        builtin = MODELS.build({**cfg, 'type': 'BuiltinHRFPN'})
        ours = MODELS.build(cfg)
    assert type(ours) is HRFPN and type(builtin) is not HRFPN
    torch.manual_seed(0)
    for p in builtin.parameters():
        p.data.normal_(0, 0.1)
    ours.load_state_dict(builtin.state_dict(), strict=True)
    return builtin, ours


@pytest.mark.parametrize('kwargs', [
    dict(), dict(num_outs=3), dict(pooling_type='MAX'), dict(stride=2),
    dict(num_outs=4, pooling_type='MAX', stride=2), dict(with_cp=True)])
@pytest.mark.parametrize('size', [(32, 24), (48, 40)])  # MMDet's crashes unless /8 exact
def test_equals_mmdets_hrfpn(kwargs, size):
    builtin, ours = mmdet_pair(**kwargs)
    x = feats(*size, requires_grad=True)
    expected = builtin([t.clone() for t in x])
    got = ours([t.clone() for t in x])
    assert [o.shape for o in got] == [o.shape for o in expected]
    assert_close_lists(list(got), list(expected))
    # ...and the gradients (with_cp recomputes; the values must not change)
    sum(o.square().mean() for o in got).backward()
    grads = [t.grad.clone() for t in x]
    for t in x:
        t.grad = None
    sum(o.square().mean() for o in builtin([t.clone() for t in x])).backward()
    assert_close_lists(grads, [t.grad for t in x])


def test_norm_cfg_is_what_mmdet_ignores():
    """MMDet's HRFPN takes norm_cfg and builds no norm; hrnet_mm's applies it.  Without
    norm_cfg the two are the same module (state_dicts load both ways, strictly)."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    cfg = dict(type='HRFPN', in_channels=IN_CHANNELS, out_channels=12, norm_cfg=dict(type='BN'))
    with DefaultScope.overwrite_default_scope('mmdet'):
        builtin = MODELS.build({**cfg, 'type': 'BuiltinHRFPN'})
        ours = MODELS.build(cfg)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in builtin.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in ours.modules()) == 1 + 5
    plain_builtin, plain_ours = mmdet_pair()
    plain_builtin.load_state_dict(plain_ours.state_dict(), strict=True)


def test_channels_not_matching_the_backbone_name_the_fix():
    """mmdet's FPN-style neck settings (in_channels of a ResNet) under an HRNet W18."""
    neck = HRFPN([256, 512, 1024, 2048], 8)
    widths = [18, 36, 72, 144]
    backbone_out = [torch.randn(1, c, 8 // 2**i, 8 // 2**i) for i, c in enumerate(widths)]
    with pytest.raises(ValueError, match=r'gives \[18, 36, 72, 144\] channels but in_channels='
                                         r'\[256, 512, 1024, 2048\].*neck.in_channels'):
        neck(backbone_out)


# -- the reduction per branch (exact rewrite) ----------------------------------------------
@pytest.mark.parametrize('norm_cfg', [None, dict(type='BN')])
def test_reducing_each_branch_first_equals_concatenating_first(norm_cfg):
    """A 1x1 conv commutes with bilinear resizing (both linear, one per pixel, one per
    channel): the default per-branch reduction equals MMDet's concatenate-then-reduce with
    the same weights, outputs and gradients, at sizes that do not halve evenly too."""
    from helpers import randomize
    from hrnet_mm.deploy import max_relative_error
    chans = [18, 36, 72, 144]
    first = randomize(HRFPN(chans, 64, norm_cfg=norm_cfg), seed=5)
    concat = HRFPN(chans, 64, norm_cfg=norm_cfg, reduce_first=False)
    concat.load_state_dict(first.state_dict())
    assert first.reduce_first and not concat.reduce_first
    for h, w in ((32, 48), (25, 39)):
        xs = [torch.randn(2, c, -(-h // 2**i), -(-w // 2**i)) for i, c in enumerate(chans)]
        with torch.no_grad():
            assert max_relative_error(first.eval()(xs), concat.eval()(xs)) <= 1e-5
    grads = []  # in eval mode: a training-mode BN normalises the gradients to rounding noise
    for neck in (first.eval(), concat.eval()):
        neck.zero_grad()
        xs = [x.clone().requires_grad_() for x in
              [torch.randn(2, c, 32 // 2**i, 48 // 2**i, generator=torch.Generator().manual_seed(i))
               for i, c in enumerate(chans)]]
        sum(o.square().mean() for o in neck(xs)).backward()
        grads.append([neck.reduction_conv.conv.weight.grad] + [x.grad for x in xs])
    assert max_relative_error(grads[0], grads[1]) <= 1e-4


def test_per_branch_reduction_does_under_a_quarter_of_the_work():
    """W32 at 800x1344 (TPAMI Table 7's detector input): the reduction conv's 8.26 GMACs
    become 1.86 -- (32 + 64 + 128/16 + 256/64) / 480 of them."""
    from hrnet_mm.devtools.analysis.complexity import count_macs
    xs = [torch.randn(1, c, 200 // 2**i, 336 // 2**i) for i, c in enumerate([32, 64, 128, 256])]
    counts = {}
    for reduce_first in (False, True):
        neck = HRFPN([32, 64, 128, 256], 256, reduce_first=reduce_first).eval()
        counts[reduce_first] = count_macs(neck, lambda: neck(xs)).total
    saved = counts[False] - counts[True]
    assert saved == 480 * 256 * 200 * 336 - 108 * 256 * 200 * 336  # 8.26e9 - 1.86e9
