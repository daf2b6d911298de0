"""Every official HRNet checkpoint a user has loads through hrnet_mm's public paths.

The files are built from the official repositories' structure (official_layouts.py says
where each layout comes from), filled with random tensors and saved as those
repositories save them; nothing is downloaded.
"""
import glob
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
import official_layouts as official
from hrnet_mm import weights
from hrnet_mm.models import HRNet
from hrnet_mm.weights import (IncompatibleCheckpointError, convert_checkpoint,
                              load_backbone_weights)

REPO = Path(__file__).resolve().parents[2]


def build(scope, cfg):
    import importlib
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        return registry.build(cfg)


@pytest.fixture
def logged(monkeypatch):
    """The messages hrnet_mm.weights logs."""
    lines = []
    monkeypatch.setattr(weights, 'print_log', lambda msg, **kw: lines.append(msg))
    return lines


def assert_loaded(model, state, prefix=''):
    own = model.state_dict()
    for key, value in state.items():
        key = key[len(prefix):] if prefix and key.startswith(prefix) else key
        if key in own:
            assert torch.equal(own[key], value), key


# -- 1. the ImageNet file into HRNetV1 (pose) -------------------------------------------
def test_imagenet_w32_loads_into_hrnetv1_and_the_drop_is_logged(logged):
    model = HRNet(arch='w32', multiscale_output=False)
    state = official.materialize(official.imagenet_classifier(32))
    report = load_backbone_weights(model, state, source='hrnet_w32-36af842e.pth')
    assert report['missing'] == [] and report['unexpected'] == []
    fuse = report['dropped']['fuse paths into outputs this HRNetV1 net does not produce']
    assert len(fuse) == 78
    assert {k.split('.fuse_layers.')[1][0] for k in fuse} == {'1', '2', '3'}
    assert all(k.startswith('stage4.2.') for k in fuse)
    assert len(logged) == 1 and '78 fuse paths' in logged[0], logged
    assert_loaded(model, state)
    # The head tensors (incre/downsamp/final/classifier) are recognised as not backbone.
    assert len(report['ignored']) + 78 == len(state) - len(model.state_dict())


def test_another_width_is_still_refused():
    with pytest.raises(IncompatibleCheckpointError, match='mis-shaped'):
        load_backbone_weights(HRNet(arch='w32', multiscale_output=False),
                              official.materialize(official.imagenet_classifier(48)))
    # ...and a V2 net still refuses a V1 (pose) backbone: its fuse paths would be random.
    # (78 fuse tensors, less their 13 BN counters, which alone would be tolerated)
    with pytest.raises(IncompatibleCheckpointError, match='65 missing'):
        load_backbone_weights(HRNet(arch='w32'), official.materialize(official.pose(32)))


def test_a_truncated_file_is_still_refused():
    state = official.materialize(official.imagenet_classifier(32))
    cut = dict(list(state.items())[:len(state) // 2])
    with pytest.raises(IncompatibleCheckpointError, match='missing'):
        load_backbone_weights(HRNet(arch='w32', multiscale_output=False), cut)


def pose_configs():
    return sorted(glob.glob(str(REPO / 'configs' / 'pose' / '*.py')))


@pytest.mark.parametrize('config', pose_configs(), ids=lambda p: Path(p).stem)
def test_every_pose_config_starts_from_its_imagenet_file(config, tmp_path):
    backbone = Config.fromfile(config).model.backbone.to_dict()
    init = backbone.get('init_cfg')
    if not (isinstance(init, dict) and init.get('type') == 'Pretrained'):
        assert 'scratch' in config, f'{config}: a paper pose row without ImageNet init'
        return
    width = backbone['extra']['stage2']['num_channels'][0] if 'extra' in backbone else \
        int(backbone['arch'][1:])  # arch='w48'
    assert f'hrnet_w{width}' in init['checkpoint']  # mmpose's official ImageNet file
    state = official.materialize(official.imagenet_classifier(width), seed=width)
    path = tmp_path / Path(init['checkpoint']).name
    torch.save(state, path)  # the official ImageNet files are plain state_dicts
    backbone['init_cfg'] = dict(init, checkpoint=str(path))
    model = build('mmpose', backbone)
    assert not model.multiscale_output
    model.init_weights()
    assert_loaded(model, state)


def test_v2_and_v2p_configs_load_the_imagenet_file(tmp_path, monkeypatch):
    """Detection (open-mmlab://msra/hrnetv2_w32, resolved locally) and segmentation."""
    from mmengine.runner.checkpoint import get_external_models
    monkeypatch.setenv('HRNET_MM_WEIGHTS', str(tmp_path))
    state32 = official.materialize(official.imagenet_classifier(32), seed=1)
    name = get_external_models()['msra/hrnetv2_w32'].rsplit('/', 1)[-1]
    torch.save(state32, tmp_path / name)
    det = Config.fromfile(str(REPO / 'configs/detection/faster-rcnn_hrnetv2p-w32_1x_coco.py'))
    assert det.model.backbone.init_cfg.checkpoint == 'open-mmlab://msra/hrnetv2_w32'
    model = build('mmdet', det.model.backbone.to_dict())
    model.init_weights()
    assert_loaded(model, state32)

    seg = Config.fromfile(str(REPO / 'configs/segmentation/'
                                     'fcn_hrnetv2-w18_4xb3-120k_cityscapes-512x1024.py'))
    backbone = seg.model.backbone.to_dict()
    state18 = official.materialize(official.imagenet_classifier(18), seed=2)
    torch.save(state18, tmp_path / 'w18.pth')
    backbone['init_cfg'] = dict(type='Pretrained', checkpoint=str(tmp_path / 'w18.pth'))
    backbone['norm_cfg'] = dict(type='BN', requires_grad=True)  # SyncBN needs a process group
    model = build('mmseg', backbone)
    model.init_weights()
    assert_loaded(model, state18)


# -- 2. checkpoints without num_batches_tracked -----------------------------------------
def test_checkpoint_without_bn_counters_loads(logged):
    source = HRNet(arch='w18').state_dict()
    state = {k: v for k, v in source.items() if not k.endswith('num_batches_tracked')}
    assert len(source) - len(state) == 305
    model = HRNet(arch='w18')
    report = load_backbone_weights(model, state)
    counters = [k for why, keys in report['dropped'].items() for k in keys
                if 'num_batches_tracked' in why]
    assert len(counters) == 305 and len(logged) == 1
    assert_loaded(model, state)


def test_inplace_abn_segmentation_checkpoint_converts_and_loads():
    layout = official.segmentation_inplace_abn(18, classes=8)
    assert not any(k.endswith('num_batches_tracked') for k in layout)
    converted = convert_checkpoint(official.materialize(layout), 'official-seg')
    model = HRNet(arch='w18')
    report = load_backbone_weights(model, converted)
    assert report['missing'] == [] and report['unexpected'] == []


# -- 3. whole official pose and face models ----------------------------------------------
def test_official_pose_model_converts_onto_mmpose_names():
    state = official.materialize(official.pose(32, joints=17), seed=3)
    converted = convert_checkpoint({'state_dict': {'module.' + k: v for k, v in state.items()}},
                                   'official-pose')  # checkpoint.pth of the official train.py
    assert torch.equal(converted['head.final_layer.weight'], state['final_layer.weight'])
    cfg = Config.fromfile(str(REPO / 'configs/demo/td-hm_hrnet-w32_demo-pose-substitute.py'))
    model = build('mmpose', cfg.model.to_dict()).eval()
    model.load_state_dict(converted, strict=True)
    x = torch.randn(1, 3, 128, 96)
    with torch.no_grad():
        feats = model.backbone(x)
        heatmaps = model.head(feats)
        expected = F.conv2d(feats[0], state['final_layer.weight'], state['final_layer.bias'])
    torch.testing.assert_close(heatmaps, expected, rtol=5e-7, atol=1e-7)


def test_official_face_model_converts_onto_mmpose_names():
    state = official.materialize(official.face(18, 68), seed=4)
    converted = convert_checkpoint(state, 'official-face')  # model_best.pth: a state_dict
    cfg = Config.fromfile(str(REPO / 'configs/demo/td-hm_hrnetv2-w18_demo-face.py'))
    model = build('mmpose', cfg.model.to_dict()).eval()
    model.load_state_dict(converted, strict=True)
    x = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        feats = model.neck(model.backbone(x)) if model.with_neck else model.backbone(x)
        heatmaps = model.head(feats)
        h = F.conv2d(feats[-1], state['head.0.weight'], state['head.0.bias'])
        h = F.batch_norm(h, state['head.1.running_mean'], state['head.1.running_var'],
                         state['head.1.weight'], state['head.1.bias'], eps=1e-5)
        expected = F.conv2d(F.relu(h), state['head.3.weight'], state['head.3.bias'])
    torch.testing.assert_close(heatmaps, expected, rtol=5e-7, atol=1e-6)


@pytest.mark.parametrize('source, layout', [
    ('official-pose', lambda: official.imagenet_classifier(32)),
    ('official-face', lambda: official.imagenet_classifier(18)),
    ('official-pose', lambda: official.face(18, 68)),
])
def test_a_wrong_source_is_refused_with_the_fix(source, layout):
    with pytest.raises(IncompatibleCheckpointError, match='ImageNet|--source|head'):
        convert_checkpoint(official.materialize(layout()), source)
