"""Deployment: BN folding, the fast inference paths, torch.compile-friendliness and ONNX.

Every path must give the eager model's numbers: BN folding <= 1e-5 relative, the graph
backends and onnxruntime <= 1e-4.
"""
import importlib

import pytest
import torch
import torch._dynamo as dynamo
import torch.nn as nn
from mmengine.registry import DefaultScope
from torch.nn.modules.batchnorm import _BatchNorm

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.deploy import (export_onnx, fold_bn, fold_conv_bn_, max_relative_error,
                             optimize_for_inference, verify_onnx)
from hrnet_mm.models import HRFPN, HRNet
from hrnet_mm.models.backbones.hrnet import ARCH_SETTINGS
from helpers import randomize


def small_extra():
    def stage(blocks, chans, block='BASIC'):
        return dict(num_modules=1, num_branches=len(chans), block=block, num_blocks=blocks,
                    num_channels=chans)
    return dict(stage1=stage((1, ), (16, ), 'BOTTLENECK'), stage2=stage((1, 1), (8, 16)),
                stage3=stage((1, 1, 1), (8, 16, 32)),
                stage4=stage((1, 1, 1, 1), (8, 16, 32, 64)))


def build(scope, cfg):
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        return registry.build(cfg)


X = torch.randn(2, 3, 72, 56, generator=torch.Generator().manual_seed(1))


# -- BN folding ----------------------------------------------------------------------------
def test_fold_conv_bn_matches_conv_then_bn():
    conv = nn.Conv2d(4, 6, 3, padding=1, bias=True)
    bn = randomize(nn.Sequential(nn.BatchNorm2d(6)))[0]
    x = torch.randn(2, 4, 9, 7)
    with torch.no_grad():
        expected = bn(conv(x))
        fold_conv_bn_(conv, bn)
        assert max_relative_error(conv(x), expected) <= 1e-6


@pytest.mark.parametrize('make', [
    lambda: nn.Conv2d(4, 6, 3, bias=False), lambda: nn.Conv2d(4, 6, 3, groups=2),
    lambda: nn.ConvTranspose2d(4, 6, 2, stride=2), lambda: nn.ConvTranspose2d(4, 6, 2, groups=2)],
    ids=['conv', 'grouped', 'transposed', 'grouped-transposed'])
def test_fold_is_the_closed_form_in_float64(make):
    """The folded weights are g / sqrt(var + eps) times the conv's, per output channel,
    and the bias (b - mean) * g / sqrt(var + eps) + beta: torch's fuse_conv_bn_weights (ours
    for grouped transposed convs) computed in float64, rounded once."""
    conv = make()
    bn = randomize(nn.Sequential(nn.BatchNorm2d(6)), seed=4)[0]
    w0 = conv.weight.detach().double().clone()
    b0 = torch.zeros(6, dtype=torch.float64) if conv.bias is None else conv.bias.detach().double()
    scale = bn.weight.double() / (bn.running_var.double() + bn.eps).sqrt()
    if isinstance(conv, nn.ConvTranspose2d):  # (in, out / groups, k, k)
        g = conv.groups
        w = w0.reshape(g, 4 // g, 6 // g, 2, 2) * scale.reshape(g, 1, 6 // g, 1, 1)
        expected_w = w.reshape(w0.shape)
    else:
        expected_w = w0 * scale.reshape(-1, 1, 1, 1)
    expected_b = (b0 - bn.running_mean.double()) * scale + bn.bias.double()
    fold_conv_bn_(conv, bn)
    assert torch.equal(conv.weight, expected_w.float())
    assert torch.allclose(conv.bias.double(), expected_b, rtol=0, atol=1e-6)


@pytest.mark.parametrize('kwargs', [dict(), dict(upsample_mode='bilinear'),
                                    dict(out_form='v2', v2_out_channels=24)])
def test_fold_bn_hrnet_is_equal_and_removes_every_bn(kwargs):
    model = randomize(HRNet(extra=small_extra(), **kwargs))
    num_bn = sum(isinstance(m, _BatchNorm) for m in model.modules())
    folded = fold_bn(model)
    assert folded.folded_bn_count == num_bn
    assert not any(isinstance(m, _BatchNorm) for m in folded.modules())
    assert any(isinstance(m, _BatchNorm) for m in model.modules())  # a copy was folded
    with torch.no_grad():
        assert max_relative_error(folded(X), model(X)) <= 1e-5


def test_fold_bn_w32_preset_and_hrfpn_with_norm():
    model = randomize(HRNet(arch='w18'))
    neck = randomize(HRFPN([18, 36, 72, 144], 32, num_outs=3, norm_cfg=dict(type='BN')))
    whole = nn.Sequential(model, neck).eval()
    folded = fold_bn(whole)
    assert not any(isinstance(m, _BatchNorm) for m in folded.modules())
    with torch.no_grad():
        assert max_relative_error(folded(X), whole(X)) <= 1e-5


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpose'])
def test_fold_bn_works_on_the_toolbox_copies(scope):
    builtin = randomize(build(scope, dict(type='BuiltinHRNet', extra=small_extra())))
    folded = fold_bn(builtin)
    assert not any(isinstance(m, _BatchNorm) for m in folded.modules())
    x = torch.randn(2, 3, 64, 96)  # MMDet's and MMPose's copies need multiples of 32
    with torch.no_grad():
        assert max_relative_error(folded(x), builtin(x)) <= 1e-5


def test_folded_model_refuses_training():
    folded = fold_bn(randomize(HRNet(extra=small_extra())))
    folded.train()
    with pytest.raises(RuntimeError, match='inference only'):
        folded(X)


def test_fold_bn_rejects_non_modules_and_untracked_bn():
    with pytest.raises(TypeError, match='nn.Module'):
        fold_bn('model.pth')
    untracked = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4, track_running_stats=False))
    with pytest.raises(ValueError, match='running statistics'):
        fold_bn(untracked)


# -- fast inference paths --------------------------------------------------------------------
@pytest.mark.parametrize('backend', ['eager', 'jit'])
@pytest.mark.parametrize('channels_last', [True, False])
def test_optimize_for_inference_backends_agree(backend, channels_last):
    model = randomize(HRNet(extra=small_extra()))
    infer = optimize_for_inference(model, X, backend=backend, channels_last=channels_last)
    with torch.no_grad():
        expected = model(X)
    for _ in range(3):  # TorchScript re-optimises after its profiling runs
        assert max_relative_error(infer(X), expected) <= 1e-4
    assert any(isinstance(m, _BatchNorm) for m in model.modules())  # input untouched


def test_onnxruntime_backend_keeps_the_call_convention():
    model = randomize(HRNet(extra=small_extra()))
    infer = optimize_for_inference(model, X, backend='onnxruntime')
    with torch.no_grad():
        expected = model(X)
        other = torch.randn(1, 3, 96, 80)  # dynamic axes: another batch and size
        expected_other = model(other)
    got = infer(X)
    assert isinstance(got, list) and len(got) == 4  # the model's own container
    assert max_relative_error(got, expected) <= 1e-4
    assert max_relative_error(infer(other), expected_other) <= 1e-4


@pytest.mark.slow
def test_compile_backend_with_freezing_agrees():
    model = randomize(HRNet(extra=small_extra()))
    infer = optimize_for_inference(model, X, backend='compile')
    with torch.no_grad():
        expected = model(X)
    assert max_relative_error(infer(X), expected) <= 1e-4


def test_optimize_for_inference_argument_errors():
    model = HRNet(extra=small_extra())
    with pytest.raises(ValueError, match="backend='tensorrt'"):
        optimize_for_inference(model, X, backend='tensorrt')
    for backend in ('jit', 'onnxruntime'):
        with pytest.raises(ValueError, match='needs `example`'):
            optimize_for_inference(model, backend=backend)


# -- torch.compile ---------------------------------------------------------------------------
@pytest.mark.parametrize('kwargs', [dict(), dict(upsample_mode='bilinear'),
                                    dict(out_form='v2'), dict(with_cp=True),
                                    dict(frozen_stages=2)])
@pytest.mark.parametrize('train', [False, True])
def test_no_graph_breaks_under_dynamo(kwargs, train):
    """One graph, no breaks: no data-dependent Python control flow or host syncs in
    forward, which is also what CUDA graph capture needs."""
    model = HRNet(extra=small_extra(), **kwargs).train(train)
    dynamo.reset()
    explanation = dynamo.explain(model)(torch.randn(2, 3, 64, 48, requires_grad=train))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


def test_hrfpn_has_no_graph_breaks():
    neck = HRFPN([8, 16, 32, 64], 16, num_outs=5)
    feats = [torch.randn(1, c, 32 // 2**i, 24 // 2**i) for i, c in enumerate([8, 16, 32, 64])]
    dynamo.reset()
    explanation = dynamo.explain(neck)(feats)
    assert explanation.graph_break_count == 0, explanation.break_reasons


# -- ONNX ------------------------------------------------------------------------------------
def test_onnx_backbone_matches_pytorch(tmp_path):
    model = randomize(HRNet(extra=small_extra()))
    path = str(tmp_path / 'hrnet.onnx')
    names = export_onnx(model, path, input_shape=(1, 3, 64, 48))
    assert names == ['out0', 'out1', 'out2', 'out3']
    assert verify_onnx(path, model, torch.randn(1, 3, 64, 48)) <= 1e-4


def test_onnx_dynamic_shapes(tmp_path):
    model = randomize(HRNet(extra=small_extra(), out_form='v2'))
    path = str(tmp_path / 'hrnet_v2.onnx')
    export_onnx(model, path, input_shape=(1, 3, 64, 64), dynamic=True)
    assert verify_onnx(path, model, torch.randn(2, 3, 96, 128)) <= 1e-4


def test_onnx_dynamic_shapes_where_mmseg_fusion_overshoots(tmp_path):
    """Exported at a size that fits (the scale-factor upsampling lands on the target), run
    at one that does not (60x84: branches 15x21, 8x11, 4x6, 2x3; 2x of 8x11 overshoots)."""
    model = randomize(HRNet(extra=small_extra(), out_form='v2', upsample_mode='bilinear',
                            upsample_by='scale'))
    path = str(tmp_path / 'hrnet_v2.onnx')
    export_onnx(model, path, input_shape=(1, 3, 64, 64), dynamic=True)
    assert verify_onnx(path, model, torch.randn(1, 3, 60, 84)) <= 1e-4
    assert verify_onnx(path, model, torch.randn(1, 3, 64, 96)) <= 1e-4


def test_onnx_full_hrnetv2_segmentor(tmp_path):
    """A whole mmseg EncoderDecoder (HRNetV2 + FCN head on the 15C concatenation)."""
    channels = [8, 16, 32, 64]
    segmentor = build('mmseg', dict(
        type='EncoderDecoder', data_preprocessor=None,
        backbone=dict(type='HRNet', extra=small_extra()),
        decode_head=dict(type='FCNHead', in_channels=channels, in_index=(0, 1, 2, 3),
                         channels=sum(channels), input_transform='resize_concat',
                         kernel_size=1, num_convs=1, concat_input=False, dropout_ratio=-1,
                         num_classes=5, norm_cfg=dict(type='BN'), align_corners=False)))
    randomize(segmentor)
    path = str(tmp_path / 'segmentor.onnx')
    export_onnx(segmentor, path, input_shape=(1, 3, 64, 96))
    err = verify_onnx(path, segmentor, torch.randn(1, 3, 64, 96))
    assert err <= 1e-4


def test_verify_onnx_catches_a_wrong_model(tmp_path):
    model = randomize(HRNet(extra=small_extra()))
    path = str(tmp_path / 'hrnet.onnx')
    export_onnx(model, path, input_shape=(1, 3, 64, 48))
    other = randomize(HRNet(extra=small_extra()), seed=5)
    with pytest.raises(AssertionError, match='relative error'):
        verify_onnx(path, other, torch.randn(1, 3, 64, 48))


def test_export_onnx_input_shape_error(tmp_path):
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        export_onnx(HRNet(extra=small_extra()), str(tmp_path / 'x.onnx'), (3, 64, 64))


def test_arch_presets_fold_and_export_consistently():
    # every preset folds fully (the bottleneck-stage presets included)
    for arch in ('w18_small_v1', 'w18_small_v2'):
        model = randomize(HRNet(arch=arch))
        assert sum(isinstance(m, _BatchNorm) for m in fold_bn(model).modules()) == 0
    assert set(ARCH_SETTINGS) >= {'w18', 'w32', 'w48'}
