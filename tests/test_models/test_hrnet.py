"""Every HRNet option does what it says (each test fails without the behaviour)."""
import copy

import pytest
import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from hrnet_mm.models.backbones.hrnet import ARCH_SETTINGS, BasicBlock, Bottleneck, HRNet
from helpers import randomize


def small_extra(num_modules=(1, 1, 1, 1)):
    """A W8 HRNet with one block per branch: every code path, at unit-test cost."""
    def stage(k, block, blocks, chans):
        return dict(num_modules=num_modules[k - 1], num_branches=len(chans), block=block,
                    num_blocks=blocks, num_channels=chans)
    return dict(stage1=stage(1, 'BOTTLENECK', (1, ), (16, )),
                stage2=stage(2, 'BASIC', (1, 1), (8, 16)),
                stage3=stage(3, 'BASIC', (1, 1, 1), (8, 16, 32)),
                stage4=stage(4, 'BASIC', (1, 1, 1, 1), (8, 16, 32, 64)))


def num_params(model):
    return sum(p.numel() for p in model.parameters())


# -- presets and validation -------------------------------------------------------------
# Backbone-only parameter counts (multi-branch output), computed from the official
# presets; the pose/seg/det model totals are checked against the papers by
# tools/model_complexity.py.
@pytest.mark.parametrize('arch,millions', [('w18', 9.56), ('w32', 29.31), ('w48', 65.33)])
def test_preset_parameter_counts(arch, millions):
    assert num_params(HRNet(arch=arch)) / 1e6 == pytest.approx(millions, abs=0.01)


@pytest.mark.parametrize('arch', sorted(ARCH_SETTINGS))
def test_every_preset_builds_and_gives_c_2c_4c_8c(arch):
    model = HRNet(arch=arch).eval()
    widths = ARCH_SETTINGS[arch]['stage4']['num_channels']
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == list(widths)
    assert widths == tuple(widths[0] * 2**i for i in range(4))
    assert [o.shape[-1] for o in outs] == [16, 8, 4, 2]


def test_unknown_arch_names_valid_presets():
    with pytest.raises(ValueError, match=r"unknown arch 'w33'.*w18_small_v1.*w64"):
        HRNet(arch='w33')


def test_missing_arch_and_extra():
    with pytest.raises(ValueError, match='give `arch`'):
        HRNet()


@pytest.mark.parametrize('mutate,field', [
    (lambda e: e['stage3'].update(num_blocks=(1, 1)), r"extra\['stage3'\]\['num_blocks'\] has 2"),
    (lambda e: e['stage4'].update(num_channels=(8, 16, 32)), r"\['num_channels'\] has 3"),
    (lambda e: e['stage2'].update(block='BASICK'), r"\['block'\]='BASICK'.*BOTTLENECK"),
    (lambda e: e['stage2'].update(num_branches=3), r"\['num_branches'\]=3"),
    (lambda e: e.pop('stage4'), r"missing 'stage4'"),
    (lambda e: e['stage1'].pop('num_modules'), r"missing \['num_modules'\]"),
])
def test_inconsistent_extra_names_the_field(mutate, field):
    extra = small_extra()
    mutate(extra)
    with pytest.raises(ValueError, match=field):
        HRNet(extra=extra)


def test_arch_conflicting_with_extra():
    with pytest.raises(ValueError, match='conflicts'):
        HRNet(arch='w32', extra=ARCH_SETTINGS['w18'])


@pytest.mark.parametrize('name,value', [('out_form', 'v3'), ('upsample_mode', 'bicubic'),
                                        ('container', 'set')])
def test_invalid_choices(name, value):
    with pytest.raises(ValueError, match=f'{name}={value!r}'):
        HRNet(extra=small_extra(), **{name: value})


# -- output forms ---------------------------------------------------------------------
@pytest.mark.parametrize('size', [(64, 64), (100, 76), (33, 47), (1, 1)])
def test_any_input_size(size):
    model = HRNet(extra=small_extra()).eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, *size))
    h, w = size
    for i, out in enumerate(outs):
        expected = (h, w)
        for _ in range(2 + i):
            expected = tuple((s + 1) // 2 for s in expected)
        assert out.shape[-2:] == expected


def test_v1_output_is_high_resolution_only_and_cheaper():
    full = HRNet(extra=small_extra())
    v1 = HRNet(extra=small_extra(), out_form='v1')
    legacy = HRNet(extra=small_extra(), multiscale_output=False)
    outs = v1.eval()(torch.randn(1, 3, 64, 64))
    assert len(outs) == 1 and outs[0].shape[1] == 8
    assert num_params(v1) == num_params(legacy) < num_params(full)
    assert v1.out_channels == [8]


def test_v2_concatenates_all_branches_and_optionally_mixes():
    torch.manual_seed(0)
    branches = HRNet(extra=small_extra()).eval()
    v2 = HRNet(extra=small_extra(), out_form='v2').eval()
    v2.load_state_dict(branches.state_dict())
    x = torch.randn(1, 3, 50, 70)
    with torch.no_grad():
        outs = branches(x)
        (cat, ) = v2(x)
    assert cat.shape == (1, 8 + 16 + 32 + 64, 13, 18)
    assert torch.equal(cat[:, :8], outs[0])
    up = nn.functional.interpolate(outs[3], size=(13, 18), mode='nearest')
    assert torch.equal(cat[:, 56:], up)
    mixed = HRNet(extra=small_extra(), out_form='v2', v2_out_channels=24).eval()
    assert mixed(x)[0].shape[1] == 24 and mixed.out_channels == [24]
    with pytest.raises(ValueError, match='multiscale_output=True'):
        HRNet(extra=small_extra(), out_form='v2', multiscale_output=False)


def test_container_type():
    x = torch.randn(1, 3, 32, 32)
    assert isinstance(HRNet(extra=small_extra()).eval()(x), list)
    assert isinstance(HRNet(extra=small_extra(), container='tuple').eval()(x), tuple)


def test_upsample_modes_differ_and_bilinear_is_exact_resize():
    torch.manual_seed(0)
    nearest = randomize(HRNet(extra=small_extra()), convs=False)
    bilinear = HRNet(extra=small_extra(), upsample_mode='bilinear').eval()
    bilinear.load_state_dict(nearest.state_dict())
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        a, b = nearest(x), bilinear(x)
    assert not torch.allclose(a[0], b[0])
    # mmpose spells it inside `extra`
    extra = small_extra()
    extra['upsample'] = dict(mode='bilinear', align_corners=False)
    pose_style = HRNet(extra=extra).eval()
    pose_style.load_state_dict(nearest.state_dict())
    with torch.no_grad():
        assert torch.equal(pose_style(x)[0], b[0])


# -- training behaviour ---------------------------------------------------------------
def test_train_and_eval_return_the_module():
    model = HRNet(extra=small_extra())
    assert model.train() is model
    assert model.eval() is model


def test_norm_eval_keeps_bn_statistics_frozen():
    model = HRNet(extra=small_extra(), norm_eval=True).train()
    assert all(not m.training for m in model.modules() if isinstance(m, _BatchNorm))
    before = copy.deepcopy(model.state_dict())
    model(torch.randn(2, 3, 32, 32))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if 'running' in k)
    plain = HRNet(extra=small_extra()).train()
    assert all(m.training for m in plain.modules() if isinstance(m, _BatchNorm))


@pytest.mark.parametrize('frozen', [-1, 0, 1, 2, 3, 4])
def test_frozen_stages(frozen):
    model = HRNet(extra=small_extra(), frozen_stages=frozen).train()
    frozen_prefixes = []
    if frozen >= 0:
        frozen_prefixes += ['conv1', 'bn1', 'conv2', 'bn2']
    for k in range(1, frozen + 1):
        frozen_prefixes.append('layer1' if k == 1 else f'stage{k}')
        if k < 4:
            frozen_prefixes.append(f'transition{k}')
    for name, param in model.named_parameters():
        is_frozen = name.split('.')[0] in frozen_prefixes
        assert param.requires_grad == (not is_frozen), name
    for name, module in model.named_modules():
        if isinstance(module, _BatchNorm):
            assert module.training == (name.split('.')[0] not in frozen_prefixes), name


@pytest.mark.parametrize('frozen', [-2, 5, 1.5])
def test_frozen_stages_out_of_range(frozen):
    with pytest.raises(ValueError, match='frozen_stages.*out of range'):
        HRNet(extra=small_extra(), frozen_stages=frozen)


def test_with_cp_same_values_and_gradients_and_frozen_stages_get_none():
    torch.manual_seed(0)
    plain = HRNet(extra=small_extra(), frozen_stages=1)
    ckpt = HRNet(extra=small_extra(), frozen_stages=1, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 48, 48)
    for model in (plain, ckpt):
        model.train()
        sum(o.square().mean() for o in model(x)).backward()
    assert all(isinstance(m, (BasicBlock, Bottleneck)) is False or m.with_cp
               for m in ckpt.modules())
    for (name, p1), (_, p2) in zip(plain.named_parameters(), ckpt.named_parameters()):
        if name.startswith(('conv1', 'bn1', 'layer1', 'transition1')):
            assert p1.grad is None and p2.grad is None, name
        else:
            torch.testing.assert_close(p2.grad, p1.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_with_cp_actually_checkpoints():
    model = HRNet(extra=small_extra(), with_cp=True).train()
    calls = []
    block = model.stage2[0].branches[0][0]
    original = block._residual
    block._residual = lambda x: (calls.append(1), original(x))[1]
    sum(o.sum() for o in model(torch.randn(2, 3, 32, 32))).backward()
    assert len(calls) == 2  # forward, then recomputed in backward


@pytest.mark.parametrize('norm_cfg,cls', [
    (dict(type='BN'), nn.BatchNorm2d),
    (dict(type='SyncBN'), nn.SyncBatchNorm),
    (dict(type='GN', num_groups=4), nn.GroupNorm),
])
def test_norm_cfg(norm_cfg, cls):
    model = HRNet(extra=small_extra(), norm_cfg=norm_cfg)
    norms = [m for m in model.modules() if isinstance(m, (_BatchNorm, nn.GroupNorm))]
    assert norms and all(isinstance(m, cls) for m in norms)
    if cls is nn.BatchNorm2d:
        assert not any(isinstance(m, nn.SyncBatchNorm) for m in norms)
    if cls is not nn.SyncBatchNorm:  # SyncBN needs a process group to train
        model.train()(torch.randn(2, 3, 32, 32))
    model.eval()(torch.randn(1, 3, 32, 32))


def test_zero_init_residual_makes_blocks_identity():
    model = HRNet(extra=small_extra(), zero_init_residual=True)
    model.init_weights()
    blocks = [m for m in model.modules() if isinstance(m, (BasicBlock, Bottleneck))]
    assert blocks and all(torch.count_nonzero(b.last_norm.weight) == 0 for b in blocks)
    block = model.stage3[0].branches[1][0].eval()
    x = torch.rand(1, 16, 8, 8)  # non-negative, so relu(x + 0) == x
    assert torch.equal(block(x), x)
    baseline = HRNet(extra=small_extra())
    baseline.init_weights()
    assert all(torch.count_nonzero(b.last_norm.weight) > 0
               for b in baseline.modules() if isinstance(b, (BasicBlock, Bottleneck)))


def test_zero_init_residual_skipped_when_loading_weights(tmp_path):
    source = HRNet(extra=small_extra())
    source.init_weights()
    path = tmp_path / 'w.pth'
    torch.save(source.state_dict(), path)
    model = HRNet(extra=small_extra(), zero_init_residual=True,
                  init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_pretrained_argument_is_deprecated_alias(tmp_path):
    path = tmp_path / 'w.pth'
    torch.save(HRNet(extra=small_extra()).state_dict(), path)
    with pytest.warns(UserWarning, match='deprecated'):
        model = HRNet(extra=small_extra(), pretrained=str(path))
    assert model.init_cfg == dict(type='Pretrained', checkpoint=str(path))
    with pytest.raises(ValueError, match='not both'):
        HRNet(extra=small_extra(), pretrained=str(path), init_cfg=dict(type='Kaiming'))


def test_fusion_sums_in_place_without_breaking_autograd():
    model = HRNet(extra=small_extra()).train()
    x = torch.randn(2, 3, 40, 40, requires_grad=True)
    sum(o.sum() for o in model(x)).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
