"""Malformed and unusual inputs, made from the real demo images (data/demo)."""
import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from _train_runs import REPO

DEMO = REPO / 'data' / 'demo'
SEG_IMAGE = DEMO / 'seg' / 'img_dir' / 'train' / '2011_000006.jpg'
SEG_LABEL = DEMO / 'seg' / 'ann_dir' / 'train' / '2011_000006.png'
DET = DEMO / 'det'
LARGE = (4032, 3024)  # 12 Mpx, a phone camera photo


def truncated_jpeg(path: Path, source: Path = SEG_IMAGE) -> Path:
    """The first half of a real JPEG, as a download cut short leaves it."""
    data = source.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


def oversized_png(path: Path, width: int = 40000, height: int = 40000) -> Path:
    """A small PNG whose header declares more pixels than OpenCV will decode."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack('>I', len(body)) + kind + body +
                struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
                     chunk(b'IDAT', zlib.compress(b'\x00')) + chunk(b'IEND', b''))
    return path


def variants(photo: Image.Image, label: Image.Image):
    """{name: (image, label map, suffix)} -- inputs mmcv must read correctly."""
    rgb = np.asarray(photo.convert('RGB'))
    gray16 = (np.asarray(photo.convert('L')).astype(np.uint16) * 257)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)])
    return {
        'grayscale': (photo.convert('L'), label, '.jpg'),
        'large': (photo.resize(LARGE, Image.BILINEAR), label.resize(LARGE, Image.NEAREST),
                  '.jpg'),
        'sixteen_bit': (Image.fromarray(gray16), label, '.png'),
        'rgba': (Image.fromarray(rgba, 'RGBA'), label, '.png'),
        'one_pixel': (photo.resize((1, 1), Image.BILINEAR), label.resize((1, 1), Image.NEAREST),
                      '.png'),
    }


def write_variants(root: Path) -> dict:
    """Writes the variants as two mmseg folder datasets (``jpg/``, ``png/``) plus a
    truncated JPEG; returns {name: image path}."""
    photo, label = Image.open(SEG_IMAGE), Image.open(SEG_LABEL)
    paths = {}
    for name, (image, seg, suffix) in variants(photo, label).items():
        sub = root / suffix[1:]
        (sub / 'img').mkdir(parents=True, exist_ok=True)
        (sub / 'ann').mkdir(parents=True, exist_ok=True)
        image.save(sub / 'img' / f'{name}{suffix}')
        seg.save(sub / 'ann' / f'{name}.png')
        paths[name] = sub / 'img' / f'{name}{suffix}'
    paths['truncated'] = truncated_jpeg(root / 'jpg' / 'img' / 'truncated.jpg')
    label.save(root / 'jpg' / 'ann' / 'truncated.png')
    return paths


def seg_dataset(root: Path, suffix: str) -> dict:
    return dict(type='BaseSegDataset', data_root=str(root / suffix),
                data_prefix=dict(img_path='img', seg_map_path='ann'),
                img_suffix=f'.{suffix}', seg_map_suffix='.png')


def det_annotations(tmp_path: Path, edit) -> Path:
    """A copy of the demo detection annotations, changed by ``edit(data)``."""
    data = json.loads((DET / 'annotations' / 'instances_train.json').read_text())
    edit(data)
    path = tmp_path / 'instances_train.json'
    path.write_text(json.dumps(data))
    return path


def copy_demo_seg(root: Path) -> Path:
    shutil.copytree(DEMO / 'seg', root)
    return root
