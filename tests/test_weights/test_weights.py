"""Every HRNet checkpoint layout loads with zero missing/unexpected backbone tensors.

Checkpoints are built locally in each layout (nothing is downloaded); timm's model is the
real timm implementation, compared numerically.
"""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.models import HRNet
from hrnet_mm.weights import (IncompatibleCheckpointError, backbone_state_dict,
                              convert_official_segmentation, load_backbone_weights,
                              resolve_openmmlab)

REPO = Path(__file__).resolve().parents[2]
TIMM_ARCH = {'hrnet_w18_small': 'w18_small_v1', 'hrnet_w18_small_v2': 'w18_small_v2',
             'hrnet_w18': 'w18'}


def reference(arch='w18_small_v1', seed=0):
    torch.manual_seed(seed)
    model = HRNet(arch=arch)
    model.init_weights()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model


def classifier_extras():
    """Tensors the official ImageNet classifier stores beside the backbone."""
    return {'incre_modules.0.0.conv1.weight': torch.zeros(32, 16, 1, 1),
            'downsamp_modules.0.0.weight': torch.zeros(256, 128, 3, 3),
            'final_layer.0.weight': torch.zeros(2048, 1024, 1, 1),
            'classifier.weight': torch.zeros(1000, 2048), 'classifier.bias': torch.zeros(1000)}


def layouts(state):
    prefixed = {'backbone.' + k: v for k, v in state.items()}
    return {
        'official-imagenet': {**state, **classifier_extras()},
        'mmdet-zoo': {'state_dict': {**prefixed, 'neck.reduction_conv.conv.weight': torch.zeros(1),
                                     'rpn_head.rpn_cls.weight': torch.zeros(1)},
                      'meta': {'epoch': 24}},
        'mmseg-zoo': {'state_dict': {**prefixed, 'decode_head.conv_seg.weight': torch.zeros(1)}},
        'mmpose-zoo': {'state_dict': {**prefixed, 'head.final_layer.weight': torch.zeros(1)}},
        'mmpretrain': {'state_dict': {**prefixed, 'neck.incre_modules.0.0.conv1.weight':
                                      torch.zeros(1), 'head.fc.weight': torch.zeros(1)}},
        'dataparallel': {'module.' + k: v for k, v in state.items()},
    }


@pytest.mark.parametrize('layout', list(layouts({})))
def test_layout_loads_with_nothing_missing_or_unexpected(layout, tmp_path):
    source = reference()
    path = tmp_path / f'{layout}.pth'
    torch.save(layouts(source.state_dict())[layout], path)
    model = HRNet(arch='w18_small_v1')
    report = load_backbone_weights(model, str(path))
    assert report['missing'] == [] and report['unexpected'] == []
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    # ...and through the config path every toolbox uses:
    via_init = HRNet(arch='w18_small_v1', init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    via_init.init_weights()
    assert all(torch.equal(via_init.state_dict()[k], v) for k, v in source.state_dict().items())


@pytest.mark.parametrize('timm_name', sorted(TIMM_ARCH))
def test_timm_state_dict_loads_and_matches_timm_outputs(timm_name):
    import timm  # installed by tools/setup_env.sh
    torch.manual_seed(0)
    classifier = timm.create_model(timm_name, pretrained=False).eval()
    features = timm.create_model(timm_name, pretrained=False, features_only=True,
                                 feature_location='').eval()
    features.load_state_dict(classifier.state_dict(), strict=False)
    ours = HRNet(arch=TIMM_ARCH[timm_name]).eval()
    report = load_backbone_weights(ours, classifier.state_dict())
    assert report['missing'] == [] and report['unexpected'] == []
    assert any(k.startswith('incre_modules') for k in report['ignored'])
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        theirs = features(x)[1:]  # [0] is timm's stride-2 stem
        mine = ours(x)
    for a, b in zip(mine, theirs):
        assert (a - b).abs().max() <= 1e-5 * b.abs().max()


def test_checkpoint_of_another_model_is_refused_with_a_summary(tmp_path):
    path = tmp_path / 'w18.pth'
    torch.save(reference('w18').state_dict(), path)
    model = HRNet(arch='w32')
    with pytest.raises(IncompatibleCheckpointError, match=r'mis-shaped.*w32 vs w48|mis-shaped'):
        load_backbone_weights(model, str(path))
    resnet_like = {'conv1.weight': torch.zeros(64, 3, 7, 7), 'fc.weight': torch.zeros(10, 512)}
    with pytest.raises(IncompatibleCheckpointError, match='missing.*unexpected'):
        load_backbone_weights(model, resnet_like)
    report = load_backbone_weights(HRNet(arch='w18'), str(path), allow_partial=False)
    assert report['missing'] == []
    partial = load_backbone_weights(model, resnet_like, allow_partial=True)
    assert 'fc.weight' in partial['unexpected'] and partial['missing']


def test_open_mmlab_names_resolve_to_local_files(tmp_path, monkeypatch):
    monkeypatch.setenv('HRNET_MM_WEIGHTS', str(tmp_path))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    with pytest.raises(FileNotFoundError, match=r'hrnetv2_w18-00eb2006\.pth.*init_cfg=None'):
        resolve_openmmlab('open-mmlab://msra/hrnetv2_w18')
    source = reference('w18')
    torch.save({**source.state_dict(), **classifier_extras()},
               tmp_path / 'hrnetv2_w18-00eb2006.pth')
    assert resolve_openmmlab('open-mmlab://msra/hrnetv2_w18') == str(
        tmp_path / 'hrnetv2_w18-00eb2006.pth')
    model = HRNet(arch='w18',
                  init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w18'))
    model.init_weights()
    assert all(torch.equal(model.state_dict()[k], v) for k, v in source.state_dict().items())


def official_segmentation_checkpoint(source, num_classes=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    c = sum(source.out_channels)
    head = {
        'last_layer.0.weight': torch.randn(c, c, 1, 1, generator=gen) * 0.05,
        'last_layer.0.bias': torch.randn(c, generator=gen),
        'last_layer.1.weight': torch.rand(c, generator=gen) + 0.5,
        'last_layer.1.bias': torch.randn(c, generator=gen) * 0.1,
        'last_layer.1.running_mean': torch.randn(c, generator=gen) * 0.1,
        'last_layer.1.running_var': torch.rand(c, generator=gen) + 0.5,
        'last_layer.1.num_batches_tracked': torch.tensor(7),
        'last_layer.3.weight': torch.randn(num_classes, c, 1, 1, generator=gen) * 0.05,
        'last_layer.3.bias': torch.randn(num_classes, generator=gen),
    }
    state = {**source.state_dict(), **head}
    return {'model.' + k: v for k, v in state.items()} | {'loss.criterion.weight': torch.ones(5)}


def official_head_forward(ckpt, feats):
    """The official seg_hrnet.py head on the concatenated (bilinear) representation."""
    f = torch.nn.functional
    size = feats[0].shape[-2:]
    x = torch.cat([feats[0]] + [f.interpolate(t, size=size, mode='bilinear',
                                              align_corners=False) for t in feats[1:]], 1)
    h = {k[len('model.last_layer.'):]: v for k, v in ckpt.items() if 'last_layer' in k}
    x = f.conv2d(x, h['0.weight'], h['0.bias'])
    x = f.batch_norm(x, h['1.running_mean'], h['1.running_var'], h['1.weight'], h['1.bias'])
    return f.conv2d(f.relu(x), h['3.weight'], h['3.bias'])


def test_official_segmentation_checkpoint_converts_into_mmseg_fcn(tmp_path):
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    source = reference('w18_small_v1', seed=3).eval()
    ckpt = official_segmentation_checkpoint(source)
    src = tmp_path / 'hrnet_w18_small_v1_cityscapes.pth'
    torch.save({'state_dict': ckpt}, src)
    dst = tmp_path / 'converted.pth'
    out = subprocess.run([sys.executable, str(REPO / 'tools/convert_checkpoint.py'), str(src),
                          str(dst), '--source', 'official-seg'], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    c = sum(source.out_channels)
    with DefaultScope.overwrite_default_scope('mmseg'):  # not a scope an earlier test left
        segmentor = MODELS.build(dict(
            type='EncoderDecoder', data_preprocessor=None,
            backbone=dict(type='HRNet', arch='w18_small_v1'),
            decode_head=dict(type='FCNHead', in_channels=source.out_channels,
                             in_index=(0, 1, 2, 3), channels=c,
                             input_transform='resize_concat', kernel_size=1, num_convs=1,
                             concat_input=False, dropout_ratio=-1, num_classes=5,
                             norm_cfg=dict(type='BN', requires_grad=True),
                             align_corners=False)))
    state = torch.load(dst, weights_only=False)['state_dict']
    segmentor.load_state_dict(state, strict=True)
    segmentor.eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        feats = segmentor.backbone(x)
        ours = segmentor.decode_head(feats)
        theirs = official_head_forward(ckpt, [f.clone() for f in feats])
    assert (ours - theirs).abs().max() <= 1e-5 * theirs.abs().max()


def test_convert_checkpoint_rejects_non_official_input(tmp_path):
    with pytest.raises(IncompatibleCheckpointError, match="no 'model.' keys"):
        convert_official_segmentation({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}})
    bad = tmp_path / 'broken.pth'
    bad.write_bytes(b'not a checkpoint')
    out = subprocess.run([sys.executable, str(REPO / 'tools/convert_checkpoint.py'), str(bad),
                          '--source', 'official-seg'], capture_output=True, text=True)
    assert out.returncode == 1 and 'truncated or corrupt' in out.stderr


def test_backbone_state_dict_reports_what_it_left_out():
    state = reference().state_dict()
    kept, dropped = backbone_state_dict({**state, **classifier_extras()})
    assert set(kept) == set(state) and set(dropped) == set(classifier_extras())
