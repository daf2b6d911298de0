"""tools/convert_checkpoint.py: official whole-model files become checkpoints that
tools/test.py evaluates without --allow-partial-load."""
import sys
from pathlib import Path

import pytest
import torch

from tool_runner import REPO, describe, load_tool, run_tool

sys.path.insert(0, str(REPO / 'tests' / 'test_weights'))
import official_layouts as official  # noqa: E402

DEMO_POSE = 'configs/demo/td-hm_hrnet-w32_demo-pose-substitute.py'
DEMO_FACE = 'configs/demo/td-hm_hrnetv2-w18_demo-face.py'
DEMO_SEG = 'configs/demo/fcn_hrnetv2-w18_demo.py'
CITYSCAPES_W18 = 'configs/segmentation/fcn_hrnetv2-w18_4xb3-120k_cityscapes-512x1024.py'


def convert(tmp_path, state, source, *extra):
    src = tmp_path / f'{source}.pth'
    torch.save(state, src)
    dst = tmp_path / f'{source}_hrnet_mm.pth'
    proc = run_tool(['tools/convert_checkpoint.py', src, dst, '--source', source, *extra])
    assert proc.returncode == 0, describe(proc)
    return dst, proc


@pytest.mark.parametrize('source, config, layout', [
    # checkpoint.pth of the official pose train.py: {'state_dict': DataParallel keys, ...}
    ('official-pose', DEMO_POSE,
     lambda: {'epoch': 210, 'state_dict': {'module.' + k: v for k, v in
                                           official.materialize(official.pose(32)).items()}}),
    # the face repository's final model: model.module.state_dict()
    ('official-face', DEMO_FACE, lambda: official.materialize(official.face(18, 68))),
    # seg master branch (InPlaceABN: no num_batches_tracked), as its FullModel saves it
    ('official-seg', DEMO_SEG,
     lambda: official.materialize(official.segmentation_inplace_abn(18, classes=8))),
], ids=['pose', 'face', 'seg-inplace-abn'])
def test_converted_official_model_is_tested_end_to_end(source, config, layout, tmp_path,
                                                       demo_root):
    dst, _ = convert(tmp_path, layout(), source)
    proc = run_tool(['tools/test.py', config, dst, '--work-dir', tmp_path / 'work'])
    assert proc.returncode == 0, describe(proc)
    assert 'does not match' not in proc.stdout + proc.stderr
    assert 'test metrics:' in proc.stdout and 'none' not in proc.stdout.split(
        'test metrics:')[1].splitlines()[0], describe(proc)


def test_official_seg_tells_the_align_corners_and_the_overrides(tmp_path):
    state = official.materialize(official.segmentation_inplace_abn(18, classes=19))
    _, proc = convert(tmp_path, state, 'official-seg', '--config', CITYSCAPES_W18,
                      '--align-corners', 'true')
    out = proc.stdout
    assert 'align_corners is not stored in a checkpoint' in out
    assert 'model.decode_head.align_corners=False' in out  # what the config uses
    assert ('--cfg-options model.backbone.align_corners=True model.backbone.upsample_by=size '
            'model.decode_head.align_corners=True') in out
    saved = torch.load(tmp_path / 'official-seg_hrnet_mm.pth', weights_only=True)
    assert saved['meta']['align_corners'] is True
    # The overrides it prints are accepted by the config:
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / CITYSCAPES_W18))
    cfg.merge_from_dict({'model.backbone.align_corners': True,
                         'model.backbone.upsample_by': 'size',
                         'model.decode_head.align_corners': True})
    assert cfg.model.decode_head.align_corners is True


def test_align_corners_only_for_segmentation(tmp_path):
    proc = run_tool(['tools/convert_checkpoint.py', tmp_path / 'x.pth', '--source',
                     'official-pose', '--align-corners', 'true'])
    assert proc.returncode == 2 and 'only apply to --source official-seg' in proc.stderr


def test_sources_match_the_library():
    from hrnet_mm.weights import SOURCES
    assert load_tool('convert_checkpoint').SOURCES == SOURCES
