"""Every segmentation config (and the segmentation demo) trains and tests for real.

Each config in ``configs/segmentation`` plus ``configs/demo/fcn_hrnetv2-w18_demo.py``
is loaded, its ``paper`` metadata checked, its model built with no weights
downloaded (``pretrained=None``, backbone ``init_cfg=None``), and ONE training
iteration plus ONE test pass are run on CPU through mmengine's Runner with the
config's own model, pipelines (shrunk), evaluator and TTA settings.

Data (one helper, :func:`demo_overrides`, for every config):

* Cityscapes / PASCAL-Context configs read ``data/demo/seg`` (4 real images, 8
  classes) through mmseg's ``BaseSegDataset``; the model keeps its 19/59/60 outputs
  (labels 0..7 are valid indices for it), ``reduce_zero_label`` follows the config's
  dataset class (PASCAL-Context-59 drops the background, as on the real data).
* LIP configs read a tiny dataset in the official LIP layout built in a tmp dir from
  the same real demo images, with labels derived from the demo masks: background and
  ignore kept, classes 1-5 kept as LIP 1-5, "sofa" -> 7 (coat) and "person" split
  into left-arm (14, left half of the image) / right-arm (15, right half), so the
  left/right classes really occur.  mmseg's own ``LIPDataset`` reads it with the
  config's own ``data_prefix``.

The demo data is built by ``tools/prepare_demo_data.py`` (``data/demo`` or
``$HRNET_MM_DEMO_ROOT``); the fixture builds it when it is missing.
"""
import copy
import importlib.util
import inspect
import re

import numpy as np
import pytest
from PIL import Image

import hrnet_mm.plugin  # noqa: E402,F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from helpers import DEMO_ROOT, REPO

SEG_CONFIGS = sorted((REPO / 'configs' / 'segmentation').glob('*.py'))
DEMO_CONFIG = REPO / 'configs' / 'demo' / 'fcn_hrnetv2-w18_demo.py'
ALL_CONFIGS = SEG_CONFIGS + [DEMO_CONFIG]

CROP = (64, 64)        # training crop (h, w) and data_preprocessor padding size
NUM_TEST_IMAGES = 2    # the test pass runs on the first two demo images
TEST_LONG_SIDE = 128   # the config's test scale is shrunk so its long side is this

PAPER_KEYS = {'source', 'table', 'row', 'metric', 'value', 'params_m', 'gflops',
              'input_shape', 'zoo', 'note'}
# Built-model parameter counts that differ from the paper table by more than 1%,
# with the reason (stated in the config's note as well).
PARAM_EXCEPTIONS = {
    'fcn_hrnetv2-w40_4xb3-120k_cityscapes-512x1024.py':
        'standard HRNetV2-W40 + FCN head gives 45.89M vs 45.2M in Table 3',
}


def _ids(paths):
    return [p.stem for p in paths]


pytestmark = pytest.mark.usefixtures('one_thread')  # tiny inputs (tests/conftest.py)


@pytest.fixture(scope='module')
def demo_seg():
    # Built, never skipped: the setup always makes data/demo (see test_pose_face_configs).
    from hrnet_mm.devtools.demo_data import prepare_demo_data
    prepare_demo_data(DEMO_ROOT)
    root = DEMO_ROOT / 'seg'
    assert (root / 'classes.txt').is_file(), \
        f'{root} incomplete: run python tools/prepare_demo_data.py --force'
    return root


@pytest.fixture(scope='module')
def lip_root(demo_seg, tmp_path_factory):
    """The demo images in the official LIP layout, with LIP labels derived from the masks."""
    classes = (demo_seg / 'classes.txt').read_text().split()
    person, sofa = classes.index('person'), classes.index('sofa')
    root = tmp_path_factory.mktemp('LIP')
    for split in ('train', 'val'):
        img_dir = root / f'TrainVal_images/{split}_images'
        ann_dir = root / f'TrainVal_parsing_annotations/{split}_segmentations'
        img_dir.mkdir(parents=True)
        ann_dir.mkdir(parents=True)
        for img in sorted((demo_seg / 'img_dir' / split).glob('*.jpg')):
            (img_dir / img.name).write_bytes(img.read_bytes())
            mask = np.array(Image.open(demo_seg / 'ann_dir' / split / f'{img.stem}.png'))
            lip = np.where(mask <= 5, mask, 0).astype(np.uint8)  # bg, 1..5 kept
            lip[mask == 255] = 255
            lip[mask == sofa] = 7
            left = np.zeros_like(mask, dtype=bool)
            left[:, :mask.shape[1] // 2] = True  # image left half
            lip[(mask == person) & left] = 14
            lip[(mask == person) & ~left] = 15
            Image.fromarray(lip).save(ann_dir / f'{img.stem}.png')
    return root


# -- the generic override helper ---------------------------------------------------------
def _scaled(size, f):
    return tuple(max(8, int(round(s * f))) for s in size)


def shrink_pipeline(pipeline, f, test_scale):
    """Same transforms, smaller sizes: every scale times ``f``, crops to ``CROP``.

    ``scale_factor`` resizes (mmseg's multi-scale TTA, relative to the original
    image) become the same factors of the shrunk test scale.
    """
    out = []
    for t in pipeline:
        t = copy.deepcopy(t)
        kind = t['type']
        if kind == 'TestTimeAug':
            t['transforms'] = [shrink_pipeline(step, f, test_scale) for step in t['transforms']]
        elif kind in ('Resize', 'RandomResize'):
            if t.get('scale') is not None:
                t['scale'] = _scaled(t['scale'], f)
            elif t.get('scale_factor') is not None:
                t['scale'] = _scaled(test_scale, t.pop('scale_factor'))
                t['keep_ratio'] = True
        elif kind == 'RandomCrop':
            t['crop_size'] = CROP
        out.append(t)
    return out


def _reduce_zero_label(dataset_cfg):
    from mmseg.registry import DATASETS
    if 'reduce_zero_label' in dataset_cfg:
        return dataset_cfg['reduce_zero_label']
    param = inspect.signature(DATASETS.get(dataset_cfg['type']).__init__).parameters.get(
        'reduce_zero_label')
    return False if param is None or param.default is inspect.Parameter.empty \
        else param.default


def _demo_dataset(ds, split, demo_seg, lip_root, f, test_scale):
    if ds['type'] == 'ConcatDataset':
        return dict(ds, datasets=[_demo_dataset(d, split, demo_seg, lip_root, f, test_scale)
                                  for d in ds['datasets']])
    pipeline = shrink_pipeline(ds['pipeline'], f, test_scale)
    if ds['type'] == 'LIPDataset':  # the config's own layout, on the tiny LIP copy
        return dict(ds, data_root=str(lip_root), pipeline=pipeline)
    classes = (demo_seg / 'classes.txt').read_text().split()
    rzl = _reduce_zero_label(ds)
    return dict(type='BaseSegDataset', data_root=str(demo_seg),
                data_prefix=dict(img_path=f'img_dir/{split}', seg_map_path=f'ann_dir/{split}'),
                img_suffix='.jpg', seg_map_suffix='.png', reduce_zero_label=rzl,
                metainfo=dict(classes=tuple(classes[1:] if rzl else classes)),
                pipeline=pipeline)


def _test_scale(cfg):
    for t in cfg.test_dataloader.dataset.get('pipeline') or \
            cfg.test_dataloader.dataset.datasets[0].pipeline:
        if t['type'] == 'Resize' and t.get('scale') is not None:
            return tuple(t['scale'])
    raise AssertionError('no Resize(scale=...) in the test pipeline')


def demo_overrides(cfg, demo_seg, lip_root, work_dir):
    """Points a segmentation config at the demo data at CPU size; returns it."""
    cfg = copy.deepcopy(cfg)
    base_scale = _test_scale(cfg)
    f = TEST_LONG_SIDE / max(base_scale)
    test_scale = _scaled(base_scale, f)

    model = cfg.model
    model.pretrained = None
    model.backbone.init_cfg = None
    model.data_preprocessor.size = CROP
    if model.test_cfg.get('mode') == 'slide':
        model.test_cfg.crop_size = CROP
        model.test_cfg.stride = (CROP[0] // 2, CROP[1] // 2)

    for name, split in (('train_dataloader', 'train'), ('test_dataloader', 'val')):
        loader = cfg[name]
        loader.dataset = _demo_dataset(loader.dataset, split, demo_seg, lip_root, f,
                                       test_scale)
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.train_dataloader.batch_size = 2  # BN (and OCR's object regions) need > 1
    cfg.test_dataloader.batch_size = 1
    cfg.test_dataloader.dataset.indices = NUM_TEST_IMAGES
    if 'tta_pipeline' in cfg:
        cfg.tta_pipeline = shrink_pipeline(cfg.tta_pipeline, f, test_scale)

    ev = cfg.test_evaluator
    if ev.get('output_dir'):
        ev.output_dir = str(work_dir / 'format_results')
    if ev['type'] == 'CityscapesMetric' and importlib.util.find_spec('cityscapesscripts') is None:
        # The test-server writer needs `cityscapesscripts` (not installed by setup);
        # the same format-only pass is run with mmseg's IoUMetric instead.
        cfg.test_evaluator = dict(type='IoUMetric', format_only=True,
                                  output_dir=str(work_dir / 'format_results'))

    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=1000)
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{work_dir.name}'
    cfg.visualizer.name = f'vis_{work_dir.name}'
    cfg.randomness = dict(seed=0)
    cfg.env_cfg.cudnn_benchmark = False
    cfg.launcher = 'none'
    return cfg


def load(path):
    from mmengine.config import Config
    return Config.fromfile(str(path))


def run_train_iter_and_test(cfg):
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    return runner.test()


def check_metrics(cfg, metrics, work_dir):
    if cfg.test_evaluator.get('format_only'):
        assert metrics == {}
        written = list((work_dir / 'format_results').rglob('*.png'))
        assert len(written) == NUM_TEST_IMAGES
    else:
        for key in ('aAcc', 'mIoU', 'mAcc'):
            assert key in metrics and np.isfinite(metrics[key]), metrics


# -- tests -----------------------------------------------------------------------------
@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_ids(ALL_CONFIGS))
def test_paper_metadata(path):
    cfg = load(path)
    paper = cfg.paper
    assert set(paper) == PAPER_KEYS
    assert cfg.custom_imports.imports == ['hrnet_mm.plugin']
    assert paper['metric'] in ('mIoU', 'NME', 'AP')
    assert len(paper['input_shape']) == 3 and paper['input_shape'][0] == 3
    if path == DEMO_CONFIG:
        assert paper['source'] == 'demo' and paper['table'] is None
        assert paper['row'].startswith('demo: ') and paper['value'] is None
        assert paper['zoo'] is None and 'random init' in paper['note']
        assert cfg.model.backbone.init_cfg is None and cfg.model.pretrained is None
        assert cfg.model.backbone.norm_eval is False
    else:
        assert paper['source'] == 'TPAMI' and paper['table'] in ('T3', 'T4', 'T5', 'T6')
        assert paper['zoo'] is None or set(paper['zoo']) == {'metric', 'value'}
        assert path.read_text().startswith('# ')  # the header comment
        assert 'auto_scale_lr' in cfg and cfg.auto_scale_lr.base_batch_size > 0
        total = cfg.train_dataloader.batch_size * int(path.stem.split('_')[2][0])
        assert cfg.auto_scale_lr.base_batch_size == total  # "4xb3" -> 12


def _with_paper_params(paths):
    """The configs whose paper row states #params (T4-T6 rows mostly do not)."""
    return [p for p in paths if re.search(r'params_m=[0-9]', p.read_text())]


COUNTED_CONFIGS = _with_paper_params(SEG_CONFIGS)


def test_paper_params_are_found_where_the_table_has_them():
    # Table 3 (Cityscapes val) gives #params for HRNetV2-W40 and -W48.
    assert {p.stem.split('_')[1] for p in COUNTED_CONFIGS} >= {'hrnetv2-w40', 'hrnetv2-w48'}
    for path in set(SEG_CONFIGS) - set(COUNTED_CONFIGS):
        assert load(path).paper['params_m'] is None, path


@pytest.mark.parametrize('path', COUNTED_CONFIGS, ids=_ids(COUNTED_CONFIGS))
def test_parameter_count_matches_paper(path):
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    cfg = load(path)
    cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    count = sum(p.numel() for p in model.parameters()) / 1e6
    rel = abs(count - cfg.paper['params_m']) / cfg.paper['params_m']
    if path.name in PARAM_EXCEPTIONS:
        assert 0.01 < rel < 0.02, (count, PARAM_EXCEPTIONS[path.name])
    else:
        assert rel < 0.01, (count, cfg.paper['params_m'])


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_ids(ALL_CONFIGS))
def test_one_train_iter_and_test_pass(path, demo_seg, lip_root, tmp_path):
    cfg = demo_overrides(load(path), demo_seg, lip_root, tmp_path)
    metrics = run_train_iter_and_test(cfg)
    check_metrics(cfg, metrics, tmp_path)


TTA_CONFIGS = [REPO / 'configs/segmentation' / name for name in (
    'fcn_hrnetv2-w48_4xb10-110k_lip-473x473.py',                     # flip + L/R swap
    'fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024-testset.py',      # 6 scales x flip
    'fcn_hrnetv2-w48_4xb4-60k_pascal-context-59-480x480.py',         # + reduce_zero_label
)]


@pytest.mark.slow
@pytest.mark.parametrize('path', TTA_CONFIGS, ids=_ids(TTA_CONFIGS))
def test_tta_test_pass(path, demo_seg, lip_root, tmp_path):
    """What ``tools/test.py --tta`` does: tta_pipeline + tta_model around the model."""
    from mmengine.runner import Runner
    cfg = demo_overrides(load(path), demo_seg, lip_root, tmp_path)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model
    runner = Runner.from_cfg(cfg)
    if 'lip' in path.name:
        from hrnet_mm.models.segmentors.flip_swap_tta import FlipSwapSegTTAModel
        assert isinstance(runner.model, FlipSwapSegTTAModel)
        assert runner.model.swap_label_pairs == [(14, 15), (16, 17), (18, 19)]
    metrics = runner.test()
    check_metrics(cfg, metrics, tmp_path)


def test_demo_classes_match_the_demo_data(demo_seg):
    cfg = load(DEMO_CONFIG)
    assert list(cfg.classes) == (demo_seg / 'classes.txt').read_text().split()
    assert cfg.model.decode_head.num_classes == len(cfg.classes)


def test_lip_tiny_dataset_has_both_arms(lip_root):
    labels = np.concatenate([np.array(Image.open(p)).ravel() for p in
                             lip_root.glob('TrainVal_parsing_annotations/train_*/*.png')])
    assert {14, 15} <= set(np.unique(labels).tolist())
