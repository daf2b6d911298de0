"""Bad data that used to train or evaluate silently: segmentation label values beyond the
classes, boxes of non-positive size, non-finite keypoints.  The data check names the file,
the values and the fix before the run starts."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from _bad_files import copy_demo_seg, det_annotations

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.errors import DataCheckError
from hrnet_mm.preflight.data import check_datasets, coco_problems
from hrnet_mm.apis import init_toolbox

REPO = Path(__file__).resolve().parents[2]


def seg_cfg(root: Path) -> Config:
    cfg = Config.fromfile(str(REPO / 'configs' / 'demo' / 'fcn_hrnetv2-w18_demo.py'))
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.dataset.data_root = str(root)
    init_toolbox(cfg)
    return cfg


def test_label_values_beyond_the_classes_are_named(tmp_path, demo_root):
    root = copy_demo_seg(tmp_path / 'seg')
    cfg = seg_cfg(root)
    assert check_datasets(cfg, 'train', scope='mmseg') == []  # the demo maps are fine
    victim = root / 'ann_dir' / 'train' / '2011_000003.png'
    label = np.asarray(Image.open(victim)).copy()
    label[:5, :5] = 40  # 8 classes: 0..7 and 255
    Image.fromarray(label).save(victim)
    with pytest.raises(DataCheckError, match=r'1 segmentation maps hold values outside the 8 '
                       r'classes \(0\.\.7\) and the ignore index 255: .*2011_000003\.png has '
                       r'\[40\]'):
        check_datasets(cfg, 'train', scope='mmseg')


def test_exif_turned_images_with_separate_label_maps_are_refused(tmp_path, demo_root):
    """mmcv turns a JPEG upright by its EXIF orientation, its PNG label map stays as
    stored: orientation 3 trains misaligned, 6 crashes on mismatched sizes.  The check
    names the file; reading the stored pixels (color_ignore_orientation) is accepted."""
    root = copy_demo_seg(tmp_path / 'seg')
    victim = sorted((root / 'img_dir' / 'train').glob('*.jpg'))[0]
    with Image.open(victim) as img:
        exif = img.getexif()
        exif[0x0112] = 6  # "rotate 90 CW to view"
        img.save(victim, exif=exif, quality=95)
    cfg = seg_cfg(root)
    with pytest.raises(DataCheckError, match=rf'{victim.name} has EXIF orientation 6: mmcv '
                       r'decodes it rotated upright but reads its label map as stored'):
        check_datasets(cfg, 'train', scope='mmseg')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        for step in loader.dataset.pipeline:
            if step['type'] == 'LoadImageFromFile':
                step['color_type'] = 'color_ignore_orientation'
    assert check_datasets(cfg, 'train', scope='mmseg') == []


def test_a_jpeg_corrupt_mid_file_is_named(tmp_path, demo_root, monkeypatch):
    """Bytes overwritten in the middle of a JPEG, its end marker intact: the cheap end test
    passes and OpenCV decodes it partly as garbage (only a libjpeg warning on stderr).  The
    full decode of the check finds it; with the decode check off it passes unnoticed."""
    root = copy_demo_seg(tmp_path / 'seg')
    victim = sorted((root / 'img_dir' / 'train').glob('*.jpg'))[1]
    data = bytearray(victim.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 400] = bytes(0xAB if i % 3 else 0 for i in range(400))
    victim.write_bytes(bytes(data))
    cfg = seg_cfg(root)
    with pytest.raises(DataCheckError, match=rf'{victim.name} is corrupt mid-file \(libjpeg: '
                       r'"Corrupt JPEG data: .*"\): it decodes, partly as garbage'):
        check_datasets(cfg, 'train', scope='mmseg')
    monkeypatch.setenv('HRNET_MM_DECODE_CHECK', '0')
    assert check_datasets(cfg, 'train', scope='mmseg') == []


def _zero_width(data):
    data['annotations'][0]['bbox'][2] = 0


def _negative_height(data):
    data['annotations'][1]['bbox'][3] = -4.0


@pytest.mark.parametrize('edit', [_zero_width, _negative_height])
def test_boxes_of_non_positive_size_are_named(edit, tmp_path):
    path = det_annotations(tmp_path, edit)
    found = coco_problems(str(path))
    assert len(found) == 1 and 'box of zero or negative width or height, which mmdet drops ' \
        'silently' in found[0], found


def test_non_finite_keypoints_are_named(tmp_path, demo_root):
    ann = Path(demo_root) / 'pose' / 'annotations' / 'person_keypoints_train.json'
    data = json.loads(ann.read_text())
    assert coco_problems(str(ann)) == []
    data['annotations'][0]['keypoints'][0] = math.nan
    path = tmp_path / 'kpts.json'
    path.write_text(json.dumps(data))  # json writes NaN, and reads it back as nan
    found = coco_problems(str(path))
    assert len(found) == 1 and 'non-finite keypoints (NaN or Inf)' in found[0], found
