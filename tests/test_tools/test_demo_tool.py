"""tools/demo.py draws predictions onto the demo images.

Detection and segmentation run with random weights (``none``): boxes and a class map are
drawn whatever the weights.  The face demo draws from a checkpoint that
``tools/train.py`` wrote one epoch earlier, so loading an mmpose checkpoint into the
demo is covered too.  The detection demo runs as a real subprocess; the others call the
tool's ``main`` in this process (each subprocess costs ~10 CPU-seconds of imports).
"""
import numpy as np
import pytest
from PIL import Image

from tool_runner import REPO, describe, load_tool, run_tool

DET = 'configs/demo/faster-rcnn_hrnetv2p-w18_demo.py'
SEG = 'configs/demo/fcn_hrnetv2-w18_demo.py'
FACE = 'configs/demo/td-hm_hrnetv2-w18_demo-face.py'


def _check_drawing(image_path, out_path, min_changed=0.001):
    src = np.asarray(Image.open(image_path).convert('RGB'))
    assert out_path.is_file()
    with Image.open(out_path) as out_img:
        assert out_img.format == 'PNG'
        out = np.asarray(out_img.convert('RGB'))
    assert out.shape == src.shape, (out.shape, src.shape)
    changed = np.abs(out.astype(int) - src.astype(int)).max(axis=2) > 8
    assert changed.mean() > min_changed, f'only {changed.mean():.4%} of the pixels changed'
    return changed


def test_detection_demo_draws_boxes(demo_root, tmp_path):
    image = demo_root / 'det' / 'images' / '2011_000003.jpg'
    out = tmp_path / 'det.png'
    # score-thr 0: a random-init detector's scores are about 1/num_classes
    proc = run_tool(['tools/demo.py', DET, 'none', image, '--out', out, '--score-thr', '0',
                     '--cfg-options', 'model.test_cfg.rcnn.max_per_img=20'])
    assert proc.returncode == 0, describe(proc)
    assert 'randomly initialised' in proc.stderr
    assert f'predictions drawn to {out}' in proc.stdout
    _check_drawing(image, out)


@pytest.fixture(scope='module')
def demo_tool():
    return load_tool('demo')


def test_segmentation_demo_draws_class_map(demo_root, tmp_path, demo_tool, capsys):
    image = sorted((demo_root / 'seg' / 'img_dir' / 'val').glob('*.jpg'))[0]
    out = tmp_path / 'seg.png'
    assert demo_tool.main([str(REPO / SEG), 'none', str(image), '--out', str(out)]) == 0
    assert f'predictions drawn to {out}' in capsys.readouterr().out
    changed = _check_drawing(image, out)
    assert changed.mean() > 0.3  # the class map is blended over the whole image


@pytest.fixture(scope='module')
def face_checkpoint(tmp_path_factory, demo_root):
    work_dir = tmp_path_factory.mktemp('train_face')
    proc = run_tool(['tools/train.py', FACE, '--work-dir', work_dir, '--cfg-options',
                     'train_cfg.max_epochs=1', 'train_dataloader.num_workers=0',
                     'val_dataloader.num_workers=0'])
    assert proc.returncode == 0, describe(proc)
    assert 'final metrics: NME=' in proc.stdout
    return work_dir / 'epoch_1.pth'


def test_face_demo_draws_landmarks_from_a_checkpoint(demo_root, tmp_path, face_checkpoint,
                                                     demo_tool, capsys):
    image = demo_root / 'face' / 'images' / 'einstein.jpg'
    out = tmp_path / 'face.png'
    assert demo_tool.main([str(REPO / FACE), str(face_checkpoint), str(image), '--out',
                           str(out), '--score-thr', '0']) == 0
    assert 'randomly initialised' not in capsys.readouterr().err
    _check_drawing(image, out, min_changed=0.0005)


def test_demo_missing_image_is_a_clear_error(tmp_path, demo_tool, capsys):
    assert demo_tool.main([str(REPO / DET), 'none', str(tmp_path / 'missing.jpg'),
                           '--out', str(tmp_path / 'x.png')]) == 2
    err = capsys.readouterr().err
    assert 'missing.jpg' in err and 'does not exist' in err
    assert not (tmp_path / 'x.png').exists()


def test_demo_refuses_another_models_checkpoint(demo_root, tmp_path, face_checkpoint,
                                                demo_tool, capsys):
    """The face checkpoint given to the detection demo: mmdet's init_detector would load
    nothing of it (strict=False) and draw a random model with rc 0."""
    image = demo_root / 'det' / 'images' / '2011_000003.jpg'
    out = tmp_path / 'det.png'
    assert demo_tool.main([str(REPO / DET), str(face_checkpoint), str(image), '--out',
                           str(out)]) == 2
    err = capsys.readouterr().err
    assert 'does not match the model' in err and 'use the checkpoint of this config' in err
    assert not out.exists()


@pytest.mark.parametrize('config, scope', [(DET, 'mmdet'), (SEG, 'mmseg')])
def test_inferencer_draws_the_configs_class_names_without_a_checkpoint(config, scope):
    """The toolboxes' inferencers fall back to COCO's / Cityscapes' names without weights;
    the demo draws with the config's own (the names its checkpoints would carry)."""
    from hrnet_mm.apis import _inferencer, config_dataset_meta, init_toolbox, read_config
    cfg = read_config(str(REPO / config))
    assert init_toolbox(cfg) == scope
    meta = config_dataset_meta(cfg)
    assert 'sofa' in meta['classes'] and 'traffic light' not in meta['classes']
    inferencer = _inferencer(cfg, scope, None, meta, 'cpu')
    assert list(inferencer.model.dataset_meta['classes']) == list(meta['classes'])


def test_class_names_of_a_training_only_config_come_from_its_training_data():
    """A config without test/val loaders still names its own classes (a checkpoint trained
    with it carries them), not the toolbox's Cityscapes fallback."""
    from hrnet_mm.apis import config_dataset_meta, init_toolbox, read_config
    cfg = read_config(str(REPO / SEG))
    init_toolbox(cfg)
    expected = config_dataset_meta(cfg)['classes']
    for key in ('test_dataloader', 'val_dataloader'):
        cfg.pop(key)
    assert config_dataset_meta(cfg)['classes'] == expected
    assert expected[:2] == ('background', 'bottle')
    cfg.pop('train_dataloader')
    with pytest.raises(ValueError, match='no test/val/train dataloader dataset'):
        config_dataset_meta(cfg)
