"""Model complexity: the counting rules by hand, the paper comparison, and the tool."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from hrnet_mm.devtools.analysis import complexity as cx

REPO = Path(__file__).resolve().parents[2]
POSE_W32 = REPO / 'configs/pose/td-hm_hrnet-w32_4xb32-210e_coco-256x192.py'


def test_macs_of_conv_transposed_conv_and_linear_by_hand():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1),      # out 8x5x4
                        nn.Conv2d(8, 8, 3, padding=1, groups=4),         # grouped
                        nn.ConvTranspose2d(8, 2, 2, stride=2),           # out 2x10x8
                        nn.Flatten(), nn.Linear(160, 7))
    x = torch.randn(2, 3, 10, 8)
    counter = cx.count_macs(net, lambda: net(x))
    expected = (2 * 8 * 5 * 4 * 3 * 9          # conv: out elements x in/groups x k
                + 2 * 8 * 5 * 4 * 2 * 9        # grouped: in/groups = 2
                + 2 * 8 * 5 * 4 * 2 * 4        # transposed: in elements x out/groups x k
                + 2 * 160 * 7)                 # linear
    assert counter.total == expected
    assert cx.count_params(net) == sum(p.numel() for p in net.parameters())


def test_pose_w32_measures_as_the_paper_row():
    result = cx.measure_config(str(POSE_W32))
    assert result.error is None, result.trace
    assert result.status == 'ok'
    assert abs(result.params / 1e6 - 28.54) < 0.01          # TPAMI Table 1: 28.5M
    # the official pose code's conv+linear MACs for W32 256x192 (the GFLOPs caveat)
    assert abs(result.macs / 1e9 - 7.645) < 0.01
    assert set(result.by_module) >= {'backbone', 'head'}


def write_config(tmp_path, params_m, note):
    path = tmp_path / 'cfg.py'
    path.write_text(textwrap.dedent(f'''\
        _base_ = {str(POSE_W32)!r}
        paper = dict(params_m={params_m}, note={note!r})
        '''))
    return str(path)


@pytest.mark.parametrize('params_m,note,status', [
    (28.5, '', 'ok'),
    (20.0, '', 'FAIL'),
    (20.0, 'the table counts parameters without the head', 'noted'),
    (None, '', 'n/a'),
])
def test_status_against_the_paper(tmp_path, params_m, note, status):
    result = cx.measure_config(write_config(tmp_path, params_m, note))
    assert result.status == status
    assert result.failed == (status == 'FAIL')


def test_a_broken_config_is_an_error_row_not_a_crash(tmp_path):
    path = tmp_path / 'broken.py'
    path.write_text("default_scope = 'mmpose'\nmodel = dict(type='NoSuchModel')\n"
                    "paper = dict(input_shape=(3, 64, 64))\n")
    result = cx.measure_config(str(path))
    assert result.status == 'ERROR' and 'NoSuchModel' in result.error


def test_tool_check_and_markdown(tmp_path):
    out = tmp_path / 'fidelity.md'
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools/model_complexity.py'), '--configs',
         'td-hm_hrnet-w32_4xb32-210e_coco-256x192.py', 'hrnet-w18-c_imagenet.py', '--check',
         '--write', str(out)],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'summary: ok: 2' in proc.stdout
    text = out.read_text()
    assert '| pose/td-hm_hrnet-w32_4xb32-210e_coco-256x192.py |' in text
    assert '| 21.30 | 21.3 |' in text  # HRNet-W18-C, HRNetV2 Table 14: 21.3M


def test_tool_check_fails_on_an_unexplained_mismatch(tmp_path):
    root = tmp_path / 'configs'
    root.mkdir()
    write_config(root, 20.0, '')
    proc = subprocess.run([sys.executable, str(REPO / 'tools/model_complexity.py'),
                           '--root', str(root), '--check'],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1
    assert 'FAIL: cfg.py: parameters 28.54M vs paper 20.0M' in proc.stdout


def test_every_config_carries_paper_metadata():
    from mmengine.config import Config
    for path in cx.find_configs(str(REPO / 'configs')):
        paper = Config.fromfile(path).get('paper')
        assert isinstance(paper, dict) and paper.get('input_shape'), path
