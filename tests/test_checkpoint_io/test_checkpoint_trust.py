"""No checkpoint path runs code from the file unless the user opts in.

A payload checkpoint writes a marker file when unpickled with the full unpickler; every
load path must refuse it (naming the object and the opt-in) and leave no marker.  An
mmengine training checkpoint (message hub, history buffers, numpy state) still loads.
"""
import os
import pathlib

import pytest
import torch
import torch.nn as nn

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.checkpoint_io import TRUST_ENV, torch_load_trusted
from hrnet_mm.errors import UntrustedCheckpointError
from hrnet_mm.models import HRNet
from hrnet_mm.weights import load_backbone_weights

REPO = pathlib.Path(__file__).resolve().parents[2]
from tool_runner import describe, load_tool, run_tool


class Payload:
    """Unpickled by the full unpickler, it writes ``marker``: any code could run there."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (pathlib.Path.write_text, (pathlib.Path(self.marker), 'code ran'))


@pytest.fixture
def payload(tmp_path, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    marker = tmp_path / 'marker'
    state = HRNet(arch='w18_small_v1').state_dict()
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': state, 'meta': {'note': Payload(marker)}}, path)
    return path, marker


def test_the_payload_is_real(payload):
    path, marker = payload
    torch.load(path, weights_only=False)
    assert marker.read_text() == 'code ran'


def loaders(path):
    from mmengine.runner.checkpoint import CheckpointLoader
    yield 'torch_load_trusted', lambda: torch_load_trusted(str(path))
    # load_from, --resume, tools/test.py and tools/demo.py (init_model) all read through it:
    yield 'mmengine CheckpointLoader', lambda: CheckpointLoader.load_checkpoint(str(path))
    yield 'load_backbone_weights', lambda: load_backbone_weights(HRNet(arch='w18_small_v1'),
                                                                 str(path))
    yield 'init_cfg=Pretrained', lambda: HRNet(
        arch='w18_small_v1', init_cfg=dict(type='Pretrained', checkpoint=str(path))
    ).init_weights()


def test_no_in_process_path_runs_it(payload):
    path, marker = payload
    for name, load in loaders(path):
        with pytest.raises(UntrustedCheckpointError, match=r'pathlib.*--trust-checkpoint'):
            load()
        assert not marker.exists(), name


def test_open_mmlab_name_resolved_locally_does_not_run_it(payload, tmp_path, monkeypatch):
    path, marker = payload
    weights = tmp_path / 'weights'
    weights.mkdir()
    os.replace(path, weights / 'hrnetv2_w18-00eb2006.pth')
    monkeypatch.setenv('HRNET_MM_WEIGHTS', str(weights))
    from mmengine.runner.checkpoint import CheckpointLoader
    with pytest.raises(UntrustedCheckpointError):
        CheckpointLoader.load_checkpoint('open-mmlab://msra/hrnetv2_w18')
    assert not marker.exists()


def test_convert_tool_refuses_it(payload, capsys):
    path, marker = payload
    rc = load_tool('convert_checkpoint').main([str(path), '--source', 'mmseg'])
    assert rc == 1 and 'needs pathlib' in capsys.readouterr().err
    assert not marker.exists()


def test_test_tool_refuses_it(payload, tmp_path, demo_root):
    path, marker = payload
    config = 'configs/demo/faster-rcnn_hrnetv2p-w18_demo.py'
    proc = run_tool(['tools/test.py', config, path, '--work-dir', tmp_path / 'w1'])
    assert proc.returncode != 0 and '--trust-checkpoint' in proc.stderr, describe(proc)
    assert 'Traceback' not in proc.stderr, describe(proc)
    assert not marker.exists()


def test_the_opt_in_is_explicit_and_does_what_it_says(payload, monkeypatch):
    path, marker = payload
    monkeypatch.setenv(TRUST_ENV, '0')  # recorded, so the tool's '1' is undone afterwards
    args = load_tool('test').parse_args(['CONFIG', str(path), '--trust-checkpoint'])
    assert args.trust_checkpoint and os.environ[TRUST_ENV] == '1'  # what --trust-checkpoint sets
    torch_load_trusted(str(path))
    assert marker.read_text() == 'code ran'


def test_an_mmengine_training_checkpoint_loads_without_opt_in(tmp_path, monkeypatch):
    """Message hub, history buffers (their statistics methods), numpy scalars/arrays."""
    monkeypatch.delenv(TRUST_ENV, raising=False)
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Toy(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, x, y=None, mode='loss'):
            return {'loss': ((self.fc(x) - y) ** 2).mean()}

    data = [dict(x=torch.randn(2), y=torch.randn(1)) for _ in range(4)]
    runner = Runner(
        model=Toy(), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, sampler=dict(type='DefaultSampler', shuffle=False),
                              batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        train_cfg=dict(by_epoch=False, max_iters=2),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)))
    runner.train()
    ckpt = torch_load_trusted(str(tmp_path / 'iter_2.pth'))
    buffers = ckpt['message_hub']['log_scalars']
    assert 'train/loss' in buffers and buffers['train/loss'].mean() == buffers['train/loss'].mean()
    assert set(ckpt) >= {'state_dict', 'optimizer', 'param_schedulers', 'meta'}
