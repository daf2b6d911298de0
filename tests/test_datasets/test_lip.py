"""LIP human parsing: mmseg's dataset on the LIP layout, and left/right label swapping.

Covers the two places a horizontal flip must trade LIP's left/right classes:
training (mmcv's ``RandomFlip(swap_seg_labels=...)`` as the LIP configs use it) and
flip testing (``FlipSwapSegTTAModel``, checked numerically against hand-computed
averages).  The dataset is a synthetic LIP-layout folder built in a tmp dir, so no
demo data is needed here.
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import hrnet_mm.plugin  # noqa: E402,F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.datasets.lip import LIP_CLASSES, LIPDataset, left_right_pairs  # noqa: E402

# What a horizontal flip exchanges, from the class names (the config writes the pairs).
LIP_FLIP_PAIRS = tuple(left_right_pairs(LIP_CLASSES))
from hrnet_mm.registry import register_into_toolboxes  # noqa: E402
from hrnet_mm.models.segmentors.flip_swap_tta import (  # noqa: E402
    FlipSwapSegTTAModel, swap_channel_pairs)

REPO = Path(__file__).resolve().parents[2]
LIP_CONFIG = REPO / 'configs/segmentation/fcn_hrnetv2-w48_4xb10-110k_lip-473x473.py'
TRAIN_IMG = 'TrainVal_images/train_images'
TRAIN_ANN = 'TrainVal_parsing_annotations/train_segmentations'


@pytest.fixture(scope='module')
def lip_root(tmp_path_factory):
    """Three synthetic images in the official LIP layout (ids as in LIP: digits_digits)."""
    root = tmp_path_factory.mktemp('LIP')
    rng = np.random.default_rng(0)
    ids = ['100034_483681', '100142_449784', '10014_1211482']
    for split in ('train', 'val'):
        img_dir = root / f'TrainVal_images/{split}_images'
        ann_dir = root / f'TrainVal_parsing_annotations/{split}_segmentations'
        img_dir.mkdir(parents=True)
        ann_dir.mkdir(parents=True)
        for i in ids:
            Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(
                img_dir / f'{i}.jpg')
            Image.fromarray(rng.integers(0, 20, (24, 32), dtype=np.uint8)).save(
                ann_dir / f'{i}.png')
        (root / f'TrainVal_images/{split}_id.txt').write_text('\n'.join(ids[:2]) + '\n')
    return root


# -- dataset ---------------------------------------------------------------------------
def test_classes_and_pairs():
    assert [c.lower() for c in LIP_CLASSES] == [
        'background', 'hat', 'hair', 'glove', 'sunglasses', 'upperclothes', 'dress',
        'coat', 'socks', 'pants', 'jumpsuits', 'scarf', 'skirt', 'face', 'left-arm',
        'right-arm', 'left-leg', 'right-leg', 'left-shoe', 'right-shoe']
    assert LIP_FLIP_PAIRS == ((14, 15), (16, 17), (18, 19))
    assert left_right_pairs(['bg', 'Left-x', 'y', 'Right-x']) == [(1, 3)]
    with pytest.raises(ValueError):
        left_right_pairs(['Left-x'])


def test_registration_is_idempotent_and_keeps_mmseg_lip():
    import mmseg.datasets
    from mmseg.registry import DATASETS, MODELS
    assert register_into_toolboxes()['mmseg']  # a second call: no error, same classes
    assert LIPDataset is mmseg.datasets.LIPDataset  # the toolbox's class, re-exported
    assert DATASETS.get('LIPDataset') is mmseg.datasets.LIPDataset
    assert MODELS.get('FlipSwapSegTTAModel') is FlipSwapSegTTAModel


def test_lip_dataset_scans_the_official_layout(lip_root):
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    # in mmseg's scope, as the LIP configs run (an earlier test may have left another one)
    with DefaultScope.overwrite_default_scope('mmseg'):
        ds = DATASETS.build(dict(type='LIPDataset', data_root=str(lip_root),
                                 data_prefix=dict(img_path=TRAIN_IMG, seg_map_path=TRAIN_ANN)))
    assert len(ds) == 3
    assert ds.metainfo['classes'] == LIP_CLASSES
    assert len(ds.metainfo['palette']) == 20
    info = ds[0]
    assert info['img_path'].endswith('.jpg') and TRAIN_IMG in info['img_path']
    assert info['seg_map_path'].endswith('.png') and TRAIN_ANN in info['seg_map_path']
    assert Path(info['img_path']).stem == Path(info['seg_map_path']).stem
    assert info['reduce_zero_label'] is False  # background is a scored class


def test_lip_dataset_id_list(lip_root):
    ds = LIPDataset(data_root=str(lip_root), ann_file='TrainVal_images/train_id.txt',
                    data_prefix=dict(img_path=TRAIN_IMG, seg_map_path=TRAIN_ANN))
    assert len(ds) == 2


def test_lip_dataset_pipeline_loads_labels(lip_root):
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmseg'):
        ds = LIPDataset(data_root=str(lip_root),
                        data_prefix=dict(img_path=TRAIN_IMG, seg_map_path=TRAIN_ANN),
                        pipeline=[dict(type='LoadImageFromFile'),
                                  dict(type='LoadAnnotations')])
        sample = ds[0]
    expected = np.array(Image.open(sample['seg_map_path']))
    np.testing.assert_array_equal(sample['gt_seg_map'], expected)


# -- training flip ---------------------------------------------------------------------
def lip_train_flip():
    """The RandomFlip of the LIP config's train pipeline, forced to flip, built in the
    config's own scope (in mmdet's, ``RandomFlip`` is mmdet's, which swaps no labels)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import TRANSFORMS
    cfg = Config.fromfile(str(LIP_CONFIG))
    flips = [t for t in cfg.train_pipeline if t['type'] == 'RandomFlip']
    assert len(flips) == 1
    flip = dict(flips[0], prob=1.0)
    assert [tuple(p) for p in flip['swap_seg_labels']] == list(LIP_FLIP_PAIRS)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return TRANSFORMS.build(flip)


def test_training_flip_swaps_left_right_labels():
    seg = np.arange(20, dtype=np.uint8).repeat(3).reshape(3, 20)  # each class, 3 rows
    seg = np.concatenate([seg, np.full((3, 4), 255, np.uint8)], axis=1)  # + ignore
    img = np.random.default_rng(0).integers(0, 255, (*seg.shape, 3), dtype=np.uint8)
    out = lip_train_flip()(dict(img=img.copy(), gt_seg_map=seg.copy(),
                                seg_fields=['gt_seg_map']))
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    np.testing.assert_array_equal(out['img'], img[:, ::-1])
    expected = seg[:, ::-1].copy()
    swapped = expected.copy()
    for left, right in LIP_FLIP_PAIRS:
        swapped[expected == left] = right
        swapped[expected == right] = left
    np.testing.assert_array_equal(out['gt_seg_map'], swapped)
    # Non-handed classes and the ignore label only move, they keep their value.
    for value in list(range(14)) + [255]:
        np.testing.assert_array_equal(out['gt_seg_map'] == value, expected == value)


def test_training_flip_twice_is_identity():
    rng = np.random.default_rng(1)
    seg = rng.integers(0, 20, (8, 10), dtype=np.uint8)
    img = rng.integers(0, 255, (8, 10, 3), dtype=np.uint8)
    flip = lip_train_flip()
    once = flip(dict(img=img.copy(), gt_seg_map=seg.copy(), seg_fields=['gt_seg_map']))
    twice = flip(dict(img=once['img'], gt_seg_map=once['gt_seg_map'],
                      seg_fields=['gt_seg_map']))
    np.testing.assert_array_equal(twice['gt_seg_map'], seg)


# -- flip-test TTA ---------------------------------------------------------------------
def test_swap_channel_pairs_tiny_tensor():
    x = torch.arange(6.).view(6, 1, 1)
    y = swap_channel_pairs(x, [(1, 4), (2, 3)])
    assert y.flatten().tolist() == [0., 4., 3., 2., 1., 5.]
    assert torch.equal(swap_channel_pairs(y, [(1, 4), (2, 3)]), x)
    with pytest.raises(ValueError):
        swap_channel_pairs(x, [(1, 6)])


class _FakeSegmentor(torch.nn.Module):
    out_channels = 20  # what SegTTAModel.merge_preds reads from its module

    def test_step(self, data):  # required by BaseTTAModel; merge_preds is tested alone
        raise NotImplementedError


def _sample(logits, flip):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    s = SegDataSample(metainfo=dict(flip=flip, flip_direction='horizontal' if flip else None,
                                    img_path='x.jpg', ori_shape=logits.shape[1:]))
    s.seg_logits = PixelData(data=logits.clone())
    return s


def _merge(tta_cls, views, **kwargs):
    model = tta_cls(module=_FakeSegmentor(), **kwargs)
    return model.merge_preds([[_sample(logits, flip) for logits, flip in views]])[0]


def test_flip_swap_tta_matches_hand_computation():
    gen = torch.Generator().manual_seed(0)
    orig = torch.randn(20, 3, 4, generator=gen)
    flipped_back = torch.randn(20, 3, 4, generator=gen)  # already flipped back spatially
    merged = _merge(FlipSwapSegTTAModel, [(orig, False), (flipped_back, True)],
                    swap_label_pairs=LIP_FLIP_PAIRS)
    perm = list(range(20))
    for a, b in LIP_FLIP_PAIRS:
        perm[a], perm[b] = b, a
    expected = (orig.softmax(0) + flipped_back[perm].softmax(0)) / 2
    assert torch.equal(merged.pred_sem_seg.data[0], expected.argmax(0))
    # Unflipped views are never touched.
    only_orig = _merge(FlipSwapSegTTAModel, [(orig, False)], swap_label_pairs=LIP_FLIP_PAIRS)
    assert torch.equal(only_orig.pred_sem_seg.data[0], orig.argmax(0))


def test_flip_swap_tta_fixes_mirrored_handedness():
    """A mirror-consistent model calls the subject's left arm "right-arm" on the flip.

    Averaging without the swap lets the (more confident) flipped view outvote the
    original one; with the swap both views agree on the subject's left arm.
    """
    from mmseg.models.segmentors import SegTTAModel
    original = torch.full((20, 2, 3), -5.)
    original[14] = 2.  # the original view: left-arm, moderately confident
    flipped_back = torch.full((20, 2, 3), -5.)
    flipped_back[15] = 6.  # the mirrored view: "right-arm", very confident
    views = [(original, False), (flipped_back, True)]
    plain = _merge(SegTTAModel, views)
    swapped = _merge(FlipSwapSegTTAModel, views, swap_label_pairs=LIP_FLIP_PAIRS)
    assert torch.all(plain.pred_sem_seg.data == 15)  # mmseg's average: wrong side
    assert torch.all(swapped.pred_sem_seg.data == 14)


def test_flip_swap_tta_validates_pairs():
    with pytest.raises(ValueError):
        FlipSwapSegTTAModel(module=_FakeSegmentor(), swap_label_pairs=[(14, 15, 16)])
    with pytest.raises(ValueError):
        FlipSwapSegTTAModel(module=_FakeSegmentor(), swap_label_pairs=[(14, 15), (15, 16)])


def test_lip_config_uses_the_swap_everywhere():
    from mmengine.config import Config
    cfg = Config.fromfile(str(LIP_CONFIG))
    assert cfg.tta_model.type == 'FlipSwapSegTTAModel'
    pairs = [tuple(p) for p in cfg.tta_model.swap_label_pairs]
    assert pairs == list(LIP_FLIP_PAIRS)
    tta_flips = [t for step in cfg.tta_pipeline[1].transforms for t in step
                 if t['type'] == 'RandomFlip']
    assert sorted(t['prob'] for t in tta_flips) == [0.0, 1.0]
    assert cfg.model.decode_head.num_classes == 20
    assert cfg.train_dataloader.dataset.type == 'LIPDataset'
