"""configs/_base_/models: HRNet for a toolbox's own ResNet config, merged with one line
(``model = dict(_base_.<fragment>)``), builds hrnet_mm's classes with matching channels."""
import pytest
import torch
from mmengine.config import Config

from helpers import REPO
from hrnet_mm.apis import build_model

MODELS = REPO / 'configs' / '_base_' / 'models'
DET = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
SEG = 'mmseg::fcn/fcn_r50-d8_4xb2-40k_cityscapes-512x1024.py'
POSE = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py'
FACE = 'mmpose::face_2d_keypoint/topdown_heatmap/300w/td-hm_hrnetv2-w18_8xb64-60e_300w-256x256.py'


def merged(tmp_path, base, fragment, name):
    path = tmp_path / f'{name}.py'
    path.write_text(f"_base_ = ['{base}', '{(MODELS / fragment).as_posix()}']\n"
                    f'model = dict(_base_.{name})\n')
    cfg = Config.fromfile(str(path))
    assert cfg.custom_imports.imports == ['hrnet_mm.plugin']
    return cfg


@pytest.mark.parametrize('width', [18, 32, 40, 48])
def test_detection(tmp_path, width):
    cfg = merged(tmp_path, DET, 'hrnetv2p_detection.py', f'hrnetv2p_w{width}')
    assert 'depth' not in cfg.model.backbone and cfg.model.neck.type == 'HRFPN'
    model, _ = build_model(cfg)
    with torch.no_grad():
        levels = model.neck(model.backbone(torch.randn(1, 3, 64, 96)))
    assert [lv.shape[1] for lv in levels] == [256] * 5


@pytest.mark.parametrize('width', [18, 48])
def test_segmentation(tmp_path, width):
    cfg = merged(tmp_path, SEG, 'hrnetv2_segmentation.py', f'hrnetv2_w{width}')
    assert cfg.model.pretrained is None and cfg.model.auxiliary_head is None
    cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=True)  # one process here
    model, _ = build_model(cfg)
    assert type(model.decode_head).__name__ == 'HRNetV2Head' and model.decode_head.per_branch
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert logits.shape == (1, 19, 16, 16)


@pytest.mark.parametrize('base, name, heatmaps', [
    (POSE, 'hrnetv1_w32', 17), (POSE, 'hrnetv1_w48', 17), (FACE, 'hrnetv2_w18_face', 68)])
def test_pose_and_face(tmp_path, base, name, heatmaps):
    cfg = merged(tmp_path, base, 'hrnet_pose.py', name)
    model, _ = build_model(cfg)
    assert type(model.backbone).__name__ == 'MMPoseHRNet'
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 48), None, mode='tensor')
    assert out.shape == (1, heatmaps, 16, 12)
