"""Checks a config's data before training starts, so that a bad file fails in second 1.

Without them, a truncated JPEG or a missing image kills the run at whatever iteration
samples it (mmcv: ``AssertionError: failed to load image``), an empty annotation file
fails with ``JSONDecodeError: Expecting value: line 1 column 1``, a dataset left empty
by ``filter_cfg`` makes ``InfiniteSampler`` wait forever, and annotations whose
``category_id`` is not a category are dropped silently by mmdet.

What is checked, per dataset the run uses:

* COCO-style ``ann_file`` (JSON): not empty, valid JSON, has ``images``/``categories``,
  every annotation's ``image_id`` is an image and its ``category_id`` a category, and
  (mmdet) every class of the config is a category of the file -- otherwise mmdet maps
  the remaining classes to shifted label indices.
* the dataset as the toolbox builds it: not empty; every image (and segmentation map)
  exists, is an image, is complete (JPEG end marker / PNG ``IEND``, else fully decoded)
  and within OpenCV's size limit; mmseg's segmentation maps are single-channel 8-bit.

Images that mmcv reads correctly (grayscale, RGBA, 16-bit, 1x1, large) pass.  When the
pipeline's ``LoadImageFromFile`` has ``ignore_empty=True``, unreadable or missing images
are reported as a warning instead: mmengine's datasets then replace them with other
samples at run time.
"""
import json
import math
import os
import os.path as osp
import sys
import warnings
from contextlib import contextmanager
from typing import Dict, Iterable, List, Optional

from ..errors import DataCheckError
from .walk import dataset_leaves, run_datasets

JPEG_END = b'\xff\xd9'
PNG_END = b'IEND\xaeB`\x82'
# OpenCV refuses to decode more pixels than this (imgcodecs' CV_IO_MAX_IMAGE_PIXELS).
CV_MAX_PIXELS = int(os.environ.get('CV_IO_MAX_IMAGE_PIXELS', 1 << 30))
SHOW = 10  # problems listed per kind; the rest are counted
IMAGE_KEYS = ('img_path', 'seg_map_path')


# ---------------------------------------------------------------------------
# single images


@contextmanager
def _strict_pillow():
    """Pillow that reports truncation and does not judge size (OpenCV's limit is what
    matters for mmcv, checked separately)."""
    from PIL import Image, ImageFile
    limit, truncated = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = None, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = limit, truncated


def _tail(path: str, size: int = 64) -> bytes:
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - size))
        return f.read()


def _decodes_fully(path: str) -> bool:
    from PIL import Image
    try:
        with _strict_pillow(), Image.open(path) as img:
            img.load()
        return True
    except (OSError, SyntaxError, ValueError):
        return False


def _looks_complete(path: str, fmt: str) -> bool:
    """Cheap end-marker test; a file without the marker is decoded to be sure (trailing
    bytes after a JPEG's end are legal and written by some cameras)."""
    tail = _tail(path)
    if fmt == 'JPEG' and JPEG_END in tail.rstrip(b'\x00\r\n '):
        return True
    if fmt == 'PNG' and tail.endswith(PNG_END):
        return True
    if fmt not in ('JPEG', 'PNG'):
        return True  # no cheap test; the header was readable
    return _decodes_fully(path)


EXIF_ORIENTATION = 0x0112
# JPEGs are decoded in full to find data corrupt mid-file (the end marker intact, so the
# cheap test passes, and the decoder fills the rest with garbage without failing) when a
# dataset has at most this many files; $HRNET_MM_DECODE_CHECK=1 forces it, =0 skips it.
DECODE_CHECK_LIMIT = 20000
DECODE_CHECK_ENV = 'HRNET_MM_DECODE_CHECK'


def jpeg_decode_problem(path: str) -> Optional[str]:
    """libjpeg's "Corrupt JPEG data" warning while OpenCV decodes ``path``, or None.

    OpenCV (mmcv's reader) prints the warning on stderr and returns an image, partly
    garbage; Pillow decodes the same file silently.  The process's stderr is redirected
    to a temporary file for the decode (single-threaded here, before the run starts)."""
    import tempfile

    import cv2
    with tempfile.TemporaryFile() as err:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            cv2.imread(path, cv2.IMREAD_UNCHANGED)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        err.seek(0)
        text = err.read().decode(errors='replace')
    for line in text.splitlines():
        if 'Corrupt JPEG data' in line or 'JPEG datastream contains no image' in line:
            return (f'is corrupt mid-file (libjpeg: "{line.strip()}"): it decodes, partly '
                    'as garbage')
    return None


def _decode_check_wanted(count: int) -> bool:
    forced = os.environ.get(DECODE_CHECK_ENV, '')
    return forced not in ('', '0') if forced else count <= DECODE_CHECK_LIMIT


def image_problem(path: str, label_map: bool = False, labels_separate: bool = False
                  ) -> Optional[str]:
    """What is wrong with the image at ``path`` for mmcv, or None when it loads fine.

    ``labels_separate``: its labels are another file in the stored pixel frame (mmseg's
    maps); then an EXIF orientation other than 1 is a problem, since mmcv's decoder turns
    the image upright and leaves the map as stored."""
    from PIL import Image, UnidentifiedImageError
    if not osp.exists(path):
        return 'does not exist'
    if osp.isdir(path):
        return 'is a folder, not an image'
    if osp.getsize(path) == 0:
        return 'is empty (0 bytes)'
    try:
        with _strict_pillow(), Image.open(path) as img:
            fmt, (width, height), mode = img.format, img.size, img.mode
            orientation = img.getexif().get(EXIF_ORIENTATION, 1) if labels_separate else 1
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f'is not an image file or is corrupt ({exc})'
    if width * height > CV_MAX_PIXELS:
        return (f'is {width}x{height} = {width * height / 1e6:.0f} Mpx, over OpenCV\'s '
                f'decode limit of {CV_MAX_PIXELS / 1e6:.0f} Mpx (downscale it)')
    if not _looks_complete(path, fmt):
        return f'is truncated or corrupt ({fmt} data ends early)'
    if orientation not in (1, None):
        return (f'has EXIF orientation {orientation}: mmcv decodes it rotated upright but '
                'reads its label map as stored, so image and labels disagree (misaligned, '
                'or a size mismatch). Fix: re-save the image upright without the tag '
                '(PIL.ImageOps.exif_transpose) and turn its label map the same way; or, if '
                'the map matches the stored pixels, load images with '
                "LoadImageFromFile(color_type='color_ignore_orientation')")
    if label_map and mode not in ('L', 'P', '1'):
        return (f'is a {mode} image; segmentation maps must hold one 8-bit class index per '
                'pixel (mode L or P). Colour-coded or 16-bit maps are read wrongly by '
                'LoadAnnotations: convert them to class indices')
    return None


def check_image(path: str) -> None:
    """Raises :class:`DataCheckError` when mmcv cannot read the image at ``path`` (or would
    read garbage: a JPEG corrupt mid-file)."""
    problem = image_problem(path)
    if problem is None and path.lower().endswith(('.jpg', '.jpeg')):
        problem = jpeg_decode_problem(path)
    if problem:
        raise DataCheckError(f'image {path!r} {problem}')


# ---------------------------------------------------------------------------
# COCO-style annotation files


def _examples(items: List[str]) -> str:
    more = f' (and {len(items) - SHOW} more)' if len(items) > SHOW else ''
    return '; '.join(items[:SHOW]) + more


def coco_problems(ann_file: str, classes: Optional[Iterable[str]] = None) -> List[str]:
    """What is wrong with a COCO-format annotation file, as readable lines."""
    if osp.getsize(ann_file) == 0:
        return [f'annotation file {ann_file!r} is empty (0 bytes): regenerate it, e.g. '
                'rerun the conversion/export that wrote it']
    try:
        with open(ann_file, encoding='utf-8') as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [f'annotation file {ann_file!r} is not valid JSON ({exc}): was it cut short '
                'while being written? Regenerate it']
    if not isinstance(data, dict) or 'images' not in data or 'categories' not in data:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        return [f'annotation file {ann_file!r} is not in COCO format: it needs "images", '
                f'"annotations" and "categories" (found {keys})']
    image_ids = {img.get('id') for img in data['images']}
    categories = {cat.get('id'): cat.get('name') for cat in data['categories']}
    bad_image, bad_cat, bad_box, bad_kpt = [], [], [], []
    for ann in data.get('annotations', []):
        box = ann.get('bbox')
        if isinstance(box, (list, tuple)) and len(box) == 4 and not (box[2] > 0 and box[3] > 0):
            bad_box.append(f"annotation {ann.get('id')} (image {ann.get('image_id')}) has "
                           f'bbox {box}')
        kpts = ann.get('keypoints')
        if isinstance(kpts, list) and not all(
                isinstance(v, (int, float)) and math.isfinite(v) for v in kpts):
            bad_kpt.append(f"annotation {ann.get('id')} (image {ann.get('image_id')})")
        if ann.get('image_id') not in image_ids:
            bad_image.append(f"annotation {ann.get('id')} -> image_id {ann.get('image_id')}")
        if ann.get('category_id') not in categories:
            bad_cat.append(f"annotation {ann.get('id')} (image {ann.get('image_id')}) has "
                           f"category_id {ann.get('category_id')}")
    problems = []
    if bad_image:
        problems.append(
            f'{len(bad_image)} annotations in {ann_file!r} point at an image_id that is not '
            f'in "images": {_examples(bad_image)}. Add the images or delete those annotations')
    if bad_cat:
        problems.append(
            f'{len(bad_cat)} annotations in {ann_file!r} have a category_id that is not in '
            f'"categories" (ids {sorted(categories)}), and mmdet would drop them silently: '
            f'{_examples(bad_cat)}. Fix the ids or add the categories')
    if bad_box:
        problems.append(
            f'{len(bad_box)} annotations in {ann_file!r} have a box of zero or negative width '
            f'or height, which mmdet drops silently: {_examples(bad_box)}. Fix the boxes '
            '([x, y, width, height], width and height > 0) or delete those annotations')
    if bad_kpt:
        problems.append(
            f'{len(bad_kpt)} annotations in {ann_file!r} have non-finite keypoints (NaN or '
            f'Inf), which make the NME/AP NaN: {_examples(bad_kpt)}. Mark missing keypoints '
            'as 0, 0, 0 (x, y, visibility) instead')
    if classes is not None:
        absent = [c for c in classes if c not in set(categories.values())]
        if absent:
            problems.append(
                f'classes {absent} of the config are not categories of {ann_file!r} '
                f'(it has {sorted(map(str, categories.values()))}); mmdet would give the '
                'other classes shifted labels. Make metainfo.classes list category names '
                'of the file')
    return problems


# ---------------------------------------------------------------------------
# datasets of a config


def _skips_unreadable(dataset_cfg: dict) -> bool:
    pipeline = dataset_cfg.get('pipeline') or []
    return any(isinstance(t, dict) and str(t.get('type', '')).endswith('LoadImageFromFile')
               and t.get('ignore_empty', False) for t in pipeline)


def _ann_file(dataset_cfg: dict) -> Optional[str]:
    ann = dataset_cfg.get('ann_file')
    if not isinstance(ann, str) or not ann or '://' in ann:
        return None
    root = dataset_cfg.get('data_root')
    return ann if not root or osp.isabs(ann) else osp.join(root, ann)


def _classes(dataset_cfg: dict, scope: Optional[str]):
    """The class names mmdet will look up in the file's categories (None: no lookup)."""
    if scope != 'mmdet':
        return None  # mmpose/mmseg do not map category names to labels
    metainfo = dataset_cfg.get('metainfo') or {}
    if metainfo.get('classes'):
        return metainfo['classes']
    from mmdet.registry import DATASETS
    dataset_cls = DATASETS.get(dataset_cfg.get('type', ''))
    return getattr(dataset_cls, 'METAINFO', {}).get('classes')


def _infos(dataset) -> Iterable[dict]:
    """The samples' data infos, read in place where possible (``get_data_info`` deep-copies
    each one, which costs minutes on COCO-sized datasets)."""
    if isinstance(getattr(dataset, 'datasets', None), (list, tuple)):  # ConcatDataset
        for sub in dataset.datasets:
            yield from _infos(sub)
    elif getattr(dataset, 'dataset', None) is not None:  # Repeat/ClassBalanced wrappers
        yield from _infos(dataset.dataset)
    elif isinstance(getattr(dataset, 'data_list', None), list) and dataset.data_list:
        yield from dataset.data_list
    else:
        for idx in range(len(dataset)):
            yield dataset.get_data_info(idx)


def _file_paths(dataset) -> Dict[str, bool]:
    """{path: is a segmentation map} of every file the dataset's samples load."""
    paths: Dict[str, bool] = {}
    for info in _infos(dataset):
        for key in IMAGE_KEYS:
            value = info.get(key)
            if isinstance(value, str) and '://' not in value:
                paths.setdefault(value, key == 'seg_map_path')
    return paths


def _ignores_orientation(dataset_cfg: dict) -> bool:
    """Whether every LoadImageFromFile of the dataset reads the stored pixels (no EXIF turn)."""
    loads = [t for leaf in dataset_leaves(dataset_cfg) for t in (leaf.get('pipeline') or [])
             if isinstance(t, dict) and str(t.get('type', '')).endswith('LoadImageFromFile')]
    return bool(loads) and all('ignore_orientation' in str(t.get('color_type', '')) or
                               'ignore_orientation' in str(t.get('imdecode_backend', ''))
                               for t in loads)


def label_value_problems(dataset) -> List[str]:
    """Segmentation maps holding values that are neither a class index nor the ignore
    index: mmseg's training crashes on them without naming a file, and its IoUMetric
    drops those pixels silently."""
    import numpy as np
    from PIL import Image
    meta = getattr(dataset, 'metainfo', {}) or {}
    if dataset.__class__.__name__ in ('ConcatDataset', 'RepeatDataset') or \
            getattr(dataset, 'label_map', None):
        return []  # a class subset remaps values: checked by the toolbox's own loader
    num_classes = len(meta.get('classes') or ())
    if not num_classes:
        return []
    ignore = getattr(dataset, 'ignore_index', 255)
    reduce_zero = bool(getattr(dataset, 'reduce_zero_label', False))
    # With reduce_zero_label, raw 0 is ignored and v becomes v - 1: raw 0..num_classes.
    valid_max = num_classes if reduce_zero else num_classes - 1
    bad = []
    for path, is_map in _file_paths(dataset).items():
        if not is_map:
            continue
        with Image.open(path) as img:
            values = np.unique(np.asarray(img))
        wrong = [int(v) for v in values if v > valid_max and v != ignore]
        if wrong:
            bad.append(f'{path} has {wrong[:8]}')
    if not bad:
        return []
    return [f'{len(bad)} segmentation maps hold values outside the {num_classes} classes '
            f'(0..{valid_max}) and the ignore index {ignore}: {_examples(bad)}. Fix the maps '
            '(class indices, 255 for "ignore"), or the number of classes of the config']


def _unserialized(dataset_cfg: dict) -> dict:
    """A copy whose leaf datasets keep a plain list: mmengine's serialisation crashes on
    an empty one (``need at least one array to concatenate``) before we can count it."""
    out = dict(dataset_cfg)
    if isinstance(out.get('dataset'), dict):
        out['dataset'] = _unserialized(out['dataset'])
    if out.get('datasets'):
        out['datasets'] = [_unserialized(d) for d in out['datasets']]
    if 'dataset' not in out and 'datasets' not in out:
        out['serialize_data'] = False
    return out


def _build(key: str, dataset_cfg: dict, scope: Optional[str]):
    from mmengine.registry import DATASETS
    dataset_cfg = _unserialized(dataset_cfg)
    if scope:  # build in the toolbox's scope without changing the process-wide default
        dataset_cfg['_scope_'] = scope
    try:
        return DATASETS.build(dataset_cfg)
    except Exception as exc:
        raise DataCheckError(
            f'{key}.dataset ({dataset_cfg.get("type")}) could not be built: '
            f'{type(exc).__name__}: {exc}') from exc


def check_datasets(cfg, mode: str = 'train', scope: Optional[str] = None) -> List[str]:
    """Raises :class:`DataCheckError` listing every problem found; returns warnings.

    ``mode='train'`` checks the train dataset and, when the run validates, the val
    dataset; ``'val'``/``'test'`` check that one.  ``scope`` is the config's toolbox
    (its modules registered, e.g. by ``hrnet_mm.apis.init_toolbox``).
    """
    problems: List[str] = []
    notes: List[str] = []
    for key, dataset_cfg in run_datasets(cfg, mode):
        for leaf in dataset_leaves(dataset_cfg):
            ann_file = _ann_file(leaf)
            if ann_file and ann_file.endswith('.json') and osp.isfile(ann_file):
                problems += [f'{key}: {p}' for p in coco_problems(ann_file,
                                                                   _classes(leaf, scope))]
        if problems:
            continue  # the toolbox would fail on the same file, less clearly
        dataset = _build(key, dataset_cfg, scope)
        if len(dataset) == 0:
            problems.append(
                f'{key}.dataset has no samples (ann_file {_ann_file(dataset_cfg)!r}, '
                f'data_prefix {dataset_cfg.get("data_prefix")}); check the paths and '
                'suffixes, and that filter_cfg (e.g. filter_empty_gt) leaves images')
            continue
        bad_images, bad_maps = [], []
        files = _file_paths(dataset)
        decode = _decode_check_wanted(len(files))
        if not decode and os.environ.get(DECODE_CHECK_ENV, '') == '':
            notes.append(f'{key}: {len(files)} files, more than {DECODE_CHECK_LIMIT}: JPEGs '
                         'were not decoded in full to look for corruption mid-file (set '
                         f'{DECODE_CHECK_ENV}=1 to do it)')
        for path, is_map in files.items():
            # mmdet's panoptic maps are RGB-encoded ids; only mmseg's hold class indices.
            problem = image_problem(path, label_map=is_map and scope == 'mmseg',
                                    labels_separate=not is_map and scope == 'mmseg' and
                                    not _ignores_orientation(dataset_cfg))
            if problem is None and decode and path.lower().endswith(('.jpg', '.jpeg')):
                problem = jpeg_decode_problem(path)
            if problem:
                # a turned or garbled image loads, so skipping unreadable ones misses it
                turned = problem.startswith(('has EXIF orientation', 'is corrupt mid-file'))
                (bad_maps if is_map or turned else bad_images).append(f'{path} {problem}')
        # mmengine redraws a sample whose LoadImageFromFile returned None, in training only.
        leaves = list(dataset_leaves(dataset_cfg))
        if bad_images and key == 'train_dataloader' and all(map(_skips_unreadable, leaves)):
            notes.append(f'{key}: {len(bad_images)} images cannot be read and will be '
                         f'skipped (LoadImageFromFile ignore_empty=True): '
                         f'{_examples(bad_images)}')
            bad_images = []
        bad = bad_images + bad_maps
        if scope == 'mmseg' and not bad_maps:
            problems += [f'{key}: {p}' for p in label_value_problems(dataset)]
        if bad:
            skip_hint = ('; or, to skip unreadable images while training, set '
                         'ignore_empty=True on LoadImageFromFile (the dataset then draws '
                         'another sample)') if bad_images else ''
            problems.append(
                f"{key}: {len(bad)} of the dataset's files cannot be used: "
                f'{_examples(bad)}. Fix: replace or re-encode these files, or remove '
                f'their entries from the annotations{skip_hint}')
    if problems:
        raise DataCheckError('the data of this config has problems:\n' +
                             '\n'.join(f'  - {p}' for p in problems))
    return notes
