"""The README's three drop-in snippets, read from the README itself, turn each toolbox's
own ResNet-50 config into an HRNet one that builds hrnet_mm's classes and trains one
iteration (on the demo data, shrunk by the config tests' own overrides)."""
import math
import re
import sys

import pytest

from tool_runner import REPO

sys.path.insert(0, str(REPO / 'tests' / 'test_configs'))
import test_detection_configs as det_cfgs  # noqa: E402
import test_pose_face_configs as pose_cfgs  # noqa: E402
import test_segmentation_configs as seg_cfgs  # noqa: E402

pytestmark = pytest.mark.usefixtures('one_thread')


def snippets():
    text = (REPO / 'README.md').read_text()
    section = text.split('\n## HRNet in your own configs\n', 1)[1].split('\n## ', 1)[0]
    found = {}
    for block in re.findall(r'```python\n(.*?)```', section, re.S):
        scope = block.split(':', 1)[0].lstrip('# ').strip()
        found[scope] = block
    return found


def test_the_readme_has_one_snippet_per_toolbox():
    found = snippets()
    assert sorted(found) == ['mmdet', 'mmpose', 'mmseg'], sorted(found)
    for block in found.values():
        assert '_delete_=True' in block and "custom_imports = dict(imports=['hrnet_mm.plugin']" in block


def load_snippet(scope, tmp_path):
    from mmengine.config import Config
    path = tmp_path / f'{scope}_dropin.py'
    path.write_text(snippets()[scope])
    cfg = Config.fromfile(str(path))
    assert cfg.model.backbone.type == 'HRNet' and 'depth' not in cfg.model.backbone
    cfg.model.backbone.init_cfg = None  # no ImageNet weights can be fetched here
    return cfg


def train_one_iteration(cfg):
    import torch
    from mmengine.runner import Runner

    from hrnet_mm.models import HRNet
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    assert isinstance(runner.model.backbone, HRNet)
    runner.train()
    assert runner.iter == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss), loss


def test_mmdet_snippet_trains(tmp_path, demo_root):
    cfg = load_snippet('mmdet', tmp_path)
    assert cfg.model.neck.type == 'HRFPN'
    det_cfgs.use_demo_data(cfg, demo_root, scale=128, work_dir=tmp_path)
    train_one_iteration(cfg)


def test_mmseg_snippet_trains(tmp_path, demo_root):
    cfg = load_snippet('mmseg', tmp_path)
    assert cfg.model.pretrained is None and cfg.model.auxiliary_head is None
    cfg = seg_cfgs.demo_overrides(cfg, demo_root / 'seg', None, tmp_path)
    train_one_iteration(cfg)


def test_mmpose_snippet_trains(tmp_path, demo_root):
    cfg = load_snippet('mmpose', tmp_path)
    cfg = pose_cfgs.demo_overrides(cfg, 'pose', demo_root, tmp_path)
    train_one_iteration(cfg)


def test_a_leaked_resnet_pretrained_is_caught_before_any_download(tmp_path):
    """The mmseg snippet without its `pretrained=None`: fcn_r50-d8's model-level
    pretrained='open-mmlab://resnet50_v1c' would reach HRNet (URLError offline)."""
    from mmengine.config import Config

    from hrnet_mm.errors import CheckpointNotFoundError
    from hrnet_mm.preflight import check_checkpoints
    text = snippets()['mmseg']
    assert '    pretrained=None,' in text
    path = tmp_path / 'leaky.py'
    path.write_text(re.sub(r'\n    pretrained=None,[^\n]*', '', text))
    cfg = Config.fromfile(str(path))
    assert cfg.model.pretrained == 'open-mmlab://resnet50_v1c'
    with pytest.raises(CheckpointNotFoundError, match=r'set model.pretrained=None'):
        check_checkpoints(cfg)
