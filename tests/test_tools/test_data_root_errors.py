"""A config whose dataset is not on disk fails before any runner is built: exit code 2 and
a message that names the missing path and how to prepare that dataset."""
import shutil

import pytest

from tool_runner import REPO, describe, load_tool, run_tool

COCO_DET = 'configs/detection/faster-rcnn_hrnetv2p-w18_1x_coco.py'
CITYSCAPES = 'configs/segmentation/fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py'
DEMO_DET = 'configs/demo/faster-rcnn_hrnetv2p-w18_demo.py'


def test_coco_detection_config_subprocess(tmp_path):
    """The full command as a user types it, from a folder without data/coco."""
    proc = run_tool([REPO / 'tools' / 'train.py', REPO / COCO_DET], cwd=tmp_path,
                    timeout=300)
    assert proc.returncode == 2, describe(proc)
    err = proc.stderr
    assert 'error: config' in err and 'needs data that is not there' in err
    assert 'data/coco/' in err and 'instances_train2017.json' in err
    assert 'https://cocodataset.org' in err  # how to get it
    assert '--cfg-options' in err  # how to point the config at a copy elsewhere
    assert 'Traceback' not in err
    assert not (tmp_path / 'work_dirs').exists()  # nothing was started


@pytest.fixture(scope='module')
def tools():
    return load_tool('train'), load_tool('test')


def _run_main(main, argv, cwd, monkeypatch, capsys):
    monkeypatch.chdir(cwd)
    code = main(argv)
    return code, capsys.readouterr().err


def test_cityscapes_config(tools, tmp_path, monkeypatch, capsys):
    train, test = tools
    code, err = _run_main(train.main, [str(REPO / CITYSCAPES)], tmp_path, monkeypatch, capsys)
    assert code == 2
    assert 'data/cityscapes/' in err and 'leftImg8bit' in err
    assert 'tools/dataset_converters/cityscapes.py' in err and 'labelTrainIds' in err
    # tools/test.py checks the test split before loading anything (the checkpoint exists).
    ckpt = tmp_path / 'fake.pth'
    ckpt.write_bytes(b'')
    code, err = _run_main(test.main, [str(REPO / CITYSCAPES), str(ckpt)], tmp_path,
                          monkeypatch, capsys)
    assert code == 2
    assert 'test_dataloader' in err and 'data/cityscapes/' in err


def test_demo_config_without_demo_data(tools, tmp_path, monkeypatch, capsys):
    """The demo's data root is relative to the working directory; from a folder without
    data/demo the message says how to build it."""
    train, _ = tools
    code, err = _run_main(train.main, [str(REPO / DEMO_DET)], tmp_path, monkeypatch, capsys)
    assert code == 2
    assert 'data/demo/det/' in err
    assert 'python tools/prepare_demo_data.py' in err
    # the demo's own hint only: no COCO download instructions for the demo set
    assert 'cocodataset.org' not in err


def test_demo_config_with_demo_data_copied(tools, tmp_path, monkeypatch, capsys, demo_root):
    """Control: the same check passes once data/demo/det is there."""
    from hrnet_mm.preflight import check_data_roots
    from mmengine.config import Config
    shutil.copytree(demo_root / 'det', tmp_path / 'data' / 'demo' / 'det')
    monkeypatch.chdir(tmp_path)
    check_data_roots(Config.fromfile(str(REPO / DEMO_DET)), 'train')  # does not raise
