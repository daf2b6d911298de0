"""Every detection config: metadata, model size and one real train + test pass.

The configs are the MMDetection ones (inherited from the mmdet package) with hrnet_mm's
HRNet/HRFPN.  Each is loaded, its model built from random init (``init_cfg=None``, so
nothing is downloaded), and ONE training iteration plus ONE test pass run on CPU through
mmengine's Runner and the real mmdet pipeline, datasets and CocoMetric -- with the data
switched to the 4-image demo set and everything made small (see ``use_demo_data``).
"""
import copy
import glob
import math
import os
import os.path as osp
import re

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'detection', '*.py')))
USER_CONFIG = osp.join(REPO, 'configs', 'faster_rcnn_hrnetv2p_w32_2x.py')
ALL_CONFIGS = DET_CONFIGS + [USER_CONFIG]
PAPER_KEYS = {'source', 'table', 'row', 'metric', 'value', 'params_m', 'gflops',
              'input_shape', 'zoo', 'note'}
# Too heavy for the per-test time budget at full proposals; run at the smallest sizes.
HEAVY = ('htc_', 'w48')
EPOCHS = {'1x': 12, '2x': 24, '20e': 20, '28e': 28}


def _ids(paths):
    return [osp.relpath(p, REPO) for p in paths]


def load(path):
    import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
    from mmengine.config import Config
    return Config.fromfile(path)


# ---------------------------------------------------------------------------
# the generic override: any mmdet config -> tiny run on the demo data


def _walk(obj, fn):
    """Calls fn(dict) on every dict inside obj (depth first)."""
    if isinstance(obj, dict):
        fn(obj)
        for value in list(obj.values()):
            _walk(value, fn)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _walk(value, fn)


def _datasets(dataset):
    """The leaf dataset configs inside (possibly wrapped) dataset config."""
    if isinstance(dataset.get('dataset'), dict):
        yield from _datasets(dataset['dataset'])
    elif dataset.get('datasets'):
        for sub in dataset['datasets']:
            yield from _datasets(sub)
    else:
        yield dataset


def use_demo_data(cfg, demo_root, scale=128, seg_dir=None, work_dir=None,
                  train_images=1, test_images=2, proposals=64, rois=32):
    """Points an mmdet config at ``<demo_root>/det`` and shrinks it for a CPU smoke run.

    Generic over the detection configs: every dataset (through wrappers) becomes the
    demo COCO-format set with its classes, every resize step fits ``scale``, every head
    trained for COCO's 80 classes gets the demo's, the evaluators read the demo
    annotations, proposal/RoI counts are capped, and the train loop runs one iteration
    (``train_images`` images, batch 1).  ``seg_dir`` holds semantic maps for configs that
    load them (HTC).  Returns the config (modified in place).
    """
    det_root = osp.join(str(demo_root), 'det') + '/'
    with open(osp.join(det_root, 'classes.txt')) as f:
        classes = tuple(line.strip() for line in f if line.strip())
    metainfo = dict(classes=classes)

    # -- model: demo classes, random init, fewer proposals/RoIs
    cfg.model.backbone.init_cfg = None
    # From random init the backbone BN must train (mmdet's norm_eval=True assumes
    # ImageNet statistics; without them activations reach 1e8 and every test score
    # is NaN), and momentum 1 makes the running statistics those of the one training
    # batch, so the eval-mode test pass after a single iteration is normalised too.
    cfg.model.backbone.norm_eval = False
    cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=True, momentum=1.0)

    def fix_model(d):
        if d.get('num_classes') == 80:
            d['num_classes'] = len(classes)
        if isinstance(d.get('nms_pre'), int):
            d['nms_pre'] = min(d['nms_pre'], 2 * proposals)
        if isinstance(d.get('max_per_img'), int):
            d['max_per_img'] = min(d['max_per_img'], proposals)
        if str(d.get('type', '')).endswith('Sampler') and isinstance(d.get('num'), int):
            d['num'] = min(d['num'], rois)
        # After one iteration from random init no score clears COCO's 0.05 threshold,
        # and CocoMetric returns no metrics at all for an empty result set.
        if isinstance(d.get('score_thr'), float):
            d['score_thr'] = 0.0

    _walk(cfg.model, fix_model)

    # -- data
    def fix_pipeline(pipeline):
        with_seg = False
        for step in pipeline:
            _walk(step, _fix_resize)
            if step.get('type') == 'LoadAnnotations' and step.get('with_seg'):
                with_seg = True
        return with_seg

    def _fix_resize(step):
        if 'Resize' in str(step.get('type', '')):
            if 'scale' in step:
                step['scale'] = (scale, scale)
            if 'scales' in step:
                step['scales'] = [(scale, scale)]

    for split, ann, n_images in (('train', 'train', train_images),
                                 ('val', 'val', test_images),
                                 ('test', 'val', test_images)):
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        loader.update(batch_size=1, num_workers=0, persistent_workers=False)
        for dataset in _datasets(loader.dataset):
            with_seg = fix_pipeline(dataset.get('pipeline', []))
            dataset.update(
                type='CocoDataset', data_root=det_root, metainfo=metainfo,
                ann_file=f'annotations/instances_{ann}.json',
                data_prefix=dict(img='images/'), indices=n_images)
            if with_seg:
                if seg_dir is None:
                    raise ValueError('this config loads semantic maps: pass seg_dir')
                dataset.data_prefix['seg'] = str(seg_dir) + '/'
    for split in ('val', 'test'):
        _walk(cfg.get(f'{split}_evaluator'),
              lambda d: d.update(ann_file=det_root + 'annotations/instances_val.json')
              if 'ann_file' in d else None)

    # -- runner: one training iteration, no validation during training, no checkpoint
    loop = cfg.train_cfg
    if 'max_epochs' in loop:
        loop.max_epochs = 1  # one image, batch 1: one iteration
    else:
        loop.max_iters = 1
    loop.val_interval = 10**6
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)
    cfg.randomness = dict(seed=0)
    cfg.env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'),
                       mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
    if work_dir is not None:
        cfg.work_dir = str(work_dir)
    return cfg


# ---------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope='module')
def seg_dir(demo_root, tmp_path_factory):
    """Semantic maps for HTC's semantic branch, painted from the demo's instance masks.

    COCO-Stuff's stuffthingmaps hold one class index per pixel (255 = unlabeled); here
    the thing classes of the demo set are painted from their polygons, which is all the
    semantic head needs to compute its loss.
    """
    from PIL import Image
    from pycocotools.coco import COCO
    out = tmp_path_factory.mktemp('stuffthingmaps')
    coco = COCO(osp.join(demo_root, 'det', 'annotations', 'instances_train.json'))
    cat_ids = sorted(coco.getCatIds())
    for img in coco.loadImgs(coco.getImgIds()):
        seg = np.full((img['height'], img['width']), 255, np.uint8)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img['id'])):
            seg[coco.annToMask(ann) > 0] = cat_ids.index(ann['category_id'])
        name = osp.splitext(img['file_name'])[0] + '.png'
        Image.fromarray(seg).save(out / name)
    return out


# ---------------------------------------------------------------------------
# metadata


def _width(path):
    return int(re.search(r'-w(\d+)', osp.basename(path)).group(1))


def test_all_rows_have_a_config():
    names = {osp.basename(p) for p in DET_CONFIGS}
    expected = [f'faster-rcnn_hrnetv2p-w{w}_{s}_coco.py' for w in (18, 32, 40, 48)
                for s in ('1x', '2x')]
    expected += [f'cascade-rcnn_hrnetv2p-w{w}_20e_coco.py' for w in (18, 32, 48)]
    expected += [f'fcos_hrnetv2p-w{w}-gn-head_ms-640-800-4xb4-2x_coco.py' for w in (18, 32)]
    expected += [f'mask-rcnn_hrnetv2p-w{w}_{s}_coco.py' for w in (18, 32)
                 for s in ('1x', '2x')]
    expected += [f'cascade-mask-rcnn_hrnetv2p-w{w}_20e_coco.py' for w in (18, 32, 48)]
    expected += [f'htc_hrnetv2p-w{w}_20e_coco.py' for w in (18, 32, 48)]
    expected += ['htc_hrnetv2p-w48_28e_coco.py']
    assert sorted(expected) == sorted(names)
    assert osp.isfile(USER_CONFIG)


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=_ids(ALL_CONFIGS))
def test_config_metadata(path):
    cfg = load(path)
    assert 'hrnet_mm.plugin' in cfg.custom_imports['imports']
    assert cfg.default_scope == 'mmdet'
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=16)
    paper = cfg.paper
    assert set(paper) == PAPER_KEYS
    assert paper['source'] == 'TPAMI'
    assert paper['table'] in ('T8', 'T9', 'T10', 'T11', None)
    assert paper['metric'] == 'bbox AP'
    assert tuple(paper['input_shape']) == (3, 800, 1200)  # Table 7's input size
    assert paper['value'] is None or 30 < paper['value'] < 50
    assert (paper['params_m'] is None) == (paper['gflops'] is None)
    if paper['zoo'] is not None:
        assert paper['zoo']['metric'] == 'bbox AP' and 30 < paper['zoo']['value'] < 50
    if paper['value'] is None or paper['table'] is None:
        assert paper['note'], 'a row without a paper number must say why in note'
    with open(path) as f:
        header = f.read().split('_base_', 1)[0]
    assert 'Table' in header or path == USER_CONFIG

    # the name says the width and schedule; the model and loop must agree
    name = osp.basename(path)
    width = 32 if path == USER_CONFIG else _width(path)
    sched = re.search(r'[_-](1x|2x|20e|28e)', name).group(1)
    assert cfg.train_cfg.max_epochs == EPOCHS[sched]
    assert f'W{width},' in paper['row'] and f', {sched}' in paper['row']
    backbone, neck = cfg.model.backbone, cfg.model.neck
    assert backbone.type == 'HRNet' and neck.type == 'HRFPN'
    widths = [width * 2**i for i in range(4)]
    from hrnet_mm.models.backbones.hrnet import ARCH_SETTINGS
    extra = backbone.extra if 'extra' in backbone else ARCH_SETTINGS[backbone.arch]
    assert list(extra['stage4']['num_channels']) == widths
    assert list(neck.in_channels) == widths
    assert backbone.init_cfg == dict(type='Pretrained',
                                     checkpoint=f'open-mmlab://msra/hrnetv2_w{width}')


@pytest.mark.parametrize('path', DET_CONFIGS, ids=_ids(DET_CONFIGS))
def test_params_match_table7(path):
    """The built model has the paper's #params (T7) wherever the paper is consistent."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    cfg = load(path)
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert type(model.backbone).__module__.startswith('hrnet_mm')
    assert type(model.neck).__module__.startswith('hrnet_mm')
    params = sum(p.numel() for p in model.parameters()) / 1e6
    expected = cfg.paper['params_m']
    if expected is None:
        return
    if osp.basename(path).startswith('faster-rcnn'):
        # T7's Faster R-CNN column is inconsistent with its own Mask R-CNN column;
        # the config's note records the real count.
        assert f'{params:.2f}M' in cfg.paper['note']
        assert 1.04 < params / expected < 1.06
    else:
        assert abs(params - expected) <= 0.15, (params, expected)


# ---------------------------------------------------------------------------
# one real training iteration and one test pass per config


def _smoke(path, demo_root, seg_dir, work_dir):
    import torch
    from mmengine.runner import Runner

    cfg = load(path)
    heavy = any(h in osp.basename(path) for h in HEAVY)
    use_demo_data(cfg, demo_root, scale=96 if heavy else 128, seg_dir=seg_dir,
                  work_dir=work_dir, proposals=32 if heavy else 64,
                  rois=16 if heavy else 32)
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss), loss
    metrics = runner.test()
    assert 'coco/bbox_mAP' in metrics
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
    if cfg.model.get('roi_head', {}).get('mask_head') is not None:
        assert 'coco/segm_mAP' in metrics


LIGHT = [p for p in ALL_CONFIGS if not any(h in osp.basename(p) for h in HEAVY)]
HEAVY_CONFIGS = [p for p in ALL_CONFIGS if p not in LIGHT]


@pytest.mark.parametrize('path', LIGHT, ids=_ids(LIGHT))
def test_train_iter_and_test_pass(path, demo_root, seg_dir, tmp_path):
    _smoke(path, demo_root, seg_dir, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize('path', HEAVY_CONFIGS, ids=_ids(HEAVY_CONFIGS))
def test_train_iter_and_test_pass_heavy(path, demo_root, seg_dir, tmp_path):
    _smoke(path, demo_root, seg_dir, tmp_path)


def test_use_demo_data_override(demo_root):
    """The helper reaches every dataset, resize step, head and evaluator."""
    cfg = use_demo_data(load(osp.join(REPO, 'configs', 'detection',
                                      'fcos_hrnetv2p-w18-gn-head_ms-640-800-4xb4-2x_coco.py')),
                        demo_root, scale=128)
    assert cfg.model.bbox_head.num_classes == 7
    steps = cfg.train_dataloader.dataset.pipeline
    assert [s for s in steps if s.type == 'RandomChoiceResize'][0].scales == [(128, 128)]
    assert cfg.test_dataloader.dataset.data_root.endswith('det/')
    assert cfg.test_evaluator.ann_file.endswith('instances_val.json')
    assert cfg.model.backbone.init_cfg is None
    assert copy.deepcopy(cfg.train_cfg).max_epochs == 1
    assert os.path.isdir(cfg.train_dataloader.dataset.data_root)
