"""Faults that used to cost work late or silently: two runs in one work dir, another
process's temp file deleted, a full disk during a save, a config syntax error reported in
``File "<unknown>"``, and ``--resume`` with nothing to resume."""
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
from tool_runner import load_tool

DEMO_DET = str(REPO / 'configs' / 'demo' / 'faster-rcnn_hrnetv2p-w18_demo.py')


@pytest.fixture
def train_tool(monkeypatch):
    """tools/train.py whose run itself is replaced: these faults are found before it."""
    from hrnet_mm import cli
    tool = load_tool('train')
    ran = []
    monkeypatch.setattr(cli, '_run_training', lambda cfg: ran.append(cfg.work_dir) or 0)
    tool.ran = ran
    return tool


@pytest.fixture
def live_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_a_second_run_into_the_same_work_dir_is_refused(train_tool, tmp_path, live_pid,
                                                         capsys):
    from hrnet_mm.cli import LOCK_NAME
    (tmp_path / LOCK_NAME).write_text(str(live_pid))
    rc = train_tool.main([DEMO_DET, '--work-dir', str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and f'in use by another run (pid {live_pid})' in err, err
    assert train_tool.ran == []


def test_a_stale_lock_is_taken_over_and_released(train_tool, tmp_path):
    from hrnet_mm.cli import LOCK_NAME
    done = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True)
    (tmp_path / LOCK_NAME).write_text(done.stdout.strip())  # that process is gone
    assert train_tool.main([DEMO_DET, '--work-dir', str(tmp_path)]) == 0
    assert train_tool.ran == [str(tmp_path)]
    assert not (tmp_path / LOCK_NAME).exists()  # released after the run


def test_resume_with_nothing_to_resume_says_so(train_tool, tmp_path, capsys):
    assert train_tool.main([DEMO_DET, '--work-dir', str(tmp_path), '--resume']) == 0
    assert 'no checkpoint in' in capsys.readouterr().err


def test_config_syntax_error_names_the_file_and_line(train_tool, tmp_path, capsys):
    bad = tmp_path / 'bad.py'
    bad.write_text("_base_ = '%s'\nmodel = dict(backbone=dict(arch='w18',\n" % DEMO_DET)
    assert train_tool.main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert f'{bad}, line 2' in err and '<unknown>' not in err, err
    test_tool = load_tool('test')
    assert test_tool.main([str(bad), str(bad)]) == 2
    assert f'{bad}, line 2' in capsys.readouterr().err


def test_temp_files_of_a_live_writer_are_kept(tmp_path, live_pid):
    from hrnet_mm.checkpoint_io import atomic_write_bytes
    target = tmp_path / 'iter_2.pth'
    theirs = tmp_path / f'iter_2.pth.tmp-{live_pid}'
    theirs.write_bytes(b'being written')
    dead = tmp_path / 'iter_2.pth.tmp-999999999'
    dead.write_bytes(b'left by a killed run')
    atomic_write_bytes(b'mine', target)
    assert target.read_bytes() == b'mine'
    assert theirs.exists() and not dead.exists()


def test_a_failed_save_removes_its_temp_file_and_says_how_much_room(tmp_path, monkeypatch):
    from hrnet_mm import checkpoint_io

    def full(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(checkpoint_io.os, 'fsync', full)
    with pytest.raises(OSError, match=r'needs 2\.0 MiB and [\d.]+ MiB are free'):
        checkpoint_io.atomic_write_bytes(b'x' * 2**21, tmp_path / 'iter_4.pth')
    assert list(tmp_path.iterdir()) == []
    assert os.listdir(tmp_path) == []


def _checkpoint_of(cfg_text: str, path: Path) -> Path:
    import torch
    torch.save({'state_dict': {}, 'meta': {'cfg': cfg_text, 'iter': 100}}, path)
    return path


def test_resume_with_a_changed_schedule_warns_and_another_optimizer_is_refused(
        train_tool, tmp_path, capsys):
    from mmengine.config import Config
    old = Config.fromfile(DEMO_DET)
    ckpt = _checkpoint_of(old.pretty_text, tmp_path / 'iter_100.pth')
    argv = [DEMO_DET, '--work-dir', str(tmp_path), '--resume', str(ckpt)]
    assert train_tool.main(argv) == 0
    assert 'warning: --resume' not in capsys.readouterr().err  # same config: nothing to say
    assert train_tool.main(argv + ['--cfg-options', 'optim_wrapper.optimizer.lr=0.01',
                                   'train_cfg.max_iters=300']) == 0
    err = capsys.readouterr().err
    assert "optim_wrapper.optimizer.lr is 0.01 in the config but 0.0002" in err, err
    assert 'train_cfg.max_iters is 300 in the config but 100' in err
    assert f'load_from={ckpt}' in err
    rc = train_tool.main(argv + ['--cfg-options', 'optim_wrapper.optimizer.type=SGD'])
    err = capsys.readouterr().err
    assert rc == 2 and 'trained with optimizer AdamW and the config now uses SGD' in err, err
