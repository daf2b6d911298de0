"""tools/export_onnx.py: a config's model, backbone or backbone + neck to ONNX, checked
with onnxruntime against the PyTorch model before it reports success."""
import numpy as np
import pytest
import torch

from tool_runner import REPO, describe, run_tool

SEG_DEMO = 'configs/demo/fcn_hrnetv2-w18_demo.py'
POSE_FACE_DEMO = 'configs/demo/td-hm_hrnetv2-w18_demo-face.py'
W32_2X = 'configs/faster_rcnn_hrnetv2p_w32_2x.py'


def ort_outputs(path, x):
    from hrnet_mm.deploy import ort_session
    session = ort_session(str(path), threads=1)
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})


@pytest.mark.parametrize('config, part, shape, outputs', [
    (SEG_DEMO, 'model', (64, 96), 1),            # the segmentor's logits
    (POSE_FACE_DEMO, 'model', (64, 64), 1),      # the face model's heatmaps
    (W32_2X, 'features', (64, 96), 5),           # HRNetV2p + HRFPN: 5 pyramid levels
    (W32_2X, 'backbone', (64, 96), 4)])          # the four branches
def test_exports_and_verifies(tmp_path, config, part, shape, outputs):
    out = tmp_path / 'model.onnx'
    proc = run_tool(['tools/export_onnx.py', config, '--part', part, '--out', out,
                     '--shape', *map(str, shape)])
    assert proc.returncode == 0, describe(proc)
    assert 'max relative error vs PyTorch' in proc.stdout
    got = ort_outputs(out, torch.randn(1, 3, *shape))
    assert len(got) == outputs and all(np.isfinite(o).all() for o in got)


def test_dynamic_axes_take_other_sizes(tmp_path):
    out = tmp_path / 'features.onnx'
    proc = run_tool(['tools/export_onnx.py', W32_2X, '--part', 'features', '--out', out,
                     '--shape', '64', '96', '--dynamic'])
    assert proc.returncode == 0, describe(proc)
    got = ort_outputs(out, torch.randn(2, 3, 96, 64))
    assert got[0].shape[0] == 2 and got[0].shape[2:] == (24, 16)  # HRFPN level 0: stride 4


def test_the_checkpoints_weights_are_exported(tmp_path):
    """Exported with --checkpoint, the file computes that checkpoint's model."""
    from mmengine.config import Config
    from mmengine.runner import save_checkpoint

    from hrnet_mm.deploy import model_part_from_config
    cfg = Config.fromfile(str(REPO / SEG_DEMO))
    model = model_part_from_config(cfg, None, 'model')
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0, 0.05)
    ckpt = tmp_path / 'trained.pth'
    save_checkpoint({'state_dict': model.state_dict(), 'meta': {}}, str(ckpt))
    out = tmp_path / 'seg.onnx'
    proc = run_tool(['tools/export_onnx.py', SEG_DEMO, '--checkpoint', ckpt, '--out', out,
                     '--shape', '64', '64'])
    assert proc.returncode == 0, describe(proc)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = model(x, mode='tensor')
    got = torch.from_numpy(ort_outputs(out, x)[0])
    assert ((got - expected).abs().max() / expected.abs().max()) < 1e-4


@pytest.mark.parametrize('args, message', [
    (['configs/nope.py', '--out', 'x.onnx'], "config 'configs/nope.py' does not exist"),
    ([SEG_DEMO, '--checkpoint', 'missing.pth', '--out', 'x.onnx'],
     "checkpoint 'missing.pth' does not exist"),
    ([SEG_DEMO, '--shape', '8', '8', '--out', 'x.onnx'], 'sides of at least 32 px'),
    # the hint first, before any build or exporter traceback
    ([W32_2X, '--out', 'x.onnx'], 'is a two-stage detector. For a detector: its RoI / box '
     'heads use mmcv ops ONNX cannot express; export its backbone and neck with --part '
     'features.'),
])
def test_bad_arguments_name_the_problem(tmp_path, args, message):
    proc = run_tool(['tools/export_onnx.py', *args], cwd=REPO)
    assert proc.returncode == 2, describe(proc)
    assert message in proc.stderr
    assert proc.stderr.strip().startswith('error:') and 'Traceback' not in proc.stderr
    assert not (REPO / 'x.onnx').exists()
