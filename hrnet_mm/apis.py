"""The library calls behind the tools: read a config, pick its toolbox, build its model
(with weights), read an image, draw a model's predictions through the toolbox's
Inferencer.

``tools/*.py``, the deploy path and the developer tooling build a config's model through
:func:`build_model`, so there is one way to do it offline.
"""
import copy
import importlib
import os
import os.path as osp
from typing import List, Optional

from .errors import CheckpointLoadError, CheckpointNotFoundError, ConfigFileError

TOOLBOXES = ('mmdet', 'mmseg', 'mmpose')


def register_toolboxes() -> None:
    """hrnet_mm's shims and registrations (``type='HRNet'`` builds hrnet_mm's backbone)."""
    from .registry import register_all
    register_all()


def toolbox_of(cfg) -> str:
    """The toolbox a config belongs to, from its ``default_scope``."""
    scope = cfg.get('default_scope', None)
    if scope not in TOOLBOXES:
        raise ValueError(
            f'config has default_scope={scope!r}; hrnet_mm\'s tools run configs of '
            f'{", ".join(TOOLBOXES)} only (set default_scope in the config or inherit '
            'the toolbox\'s default_runtime.py)')
    return scope


def load_toolbox(scope: str) -> None:
    """Registers a toolbox's modules (and hrnet_mm into it) without touching the default
    scope; ``'hrnet_mm'`` (the ImageNet configs) needs hrnet_mm only."""
    register_toolboxes()
    if scope == 'hrnet_mm':
        return
    try:
        utils = importlib.import_module(f'{scope}.utils')
    except ImportError as exc:
        raise ImportError(f'config needs {scope}, which is not importable: {exc}') from exc
    utils.register_all_modules(init_default_scope=False)


def init_toolbox(cfg) -> str:
    """Registers the config's toolbox (and hrnet_mm into it) and makes its scope the
    default, as the toolbox's own tools do; returns the scope."""
    scope = toolbox_of(cfg)
    load_toolbox(scope)
    from mmengine.registry import init_default_scope
    init_default_scope(scope)
    return scope


def read_config(path: str):
    """``Config.fromfile`` whose syntax errors name the file and the line.

    mmengine parses the file from a string and reports ``File "<unknown>", line N`` (of
    the file, or of one of its ``_base_`` files).
    """
    from mmengine.config import Config
    try:
        return Config.fromfile(path)
    except SyntaxError as exc:
        for candidate in [path, *_local_bases(path)]:
            try:
                with open(candidate, encoding='utf-8') as f:
                    compile(f.read(), candidate, 'exec')
            except SyntaxError as found:
                raise ConfigFileError(
                    f'{found.filename}, line {found.lineno}: {found.msg}'
                    + (f'\n    {found.text.rstrip()}' if found.text else '')) from exc
            except OSError:
                continue
        raise ConfigFileError(f'{path}: {exc}') from exc


def _local_bases(path: str) -> List[str]:
    """The relative ``_base_`` files a config names, recursively (for error messages)."""
    import ast
    try:
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError):
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_'
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            for base in [value] if isinstance(value, str) else list(value):
                if '::' not in base:
                    base = osp.join(osp.dirname(path), base)
                    found += [base, *_local_bases(base)]
    return found


def build_model(cfg, checkpoint: Optional[str] = None, model_cfg: Optional[dict] = None,
                device: str = 'cpu'):
    """``cfg.model`` (or ``model_cfg``) built through its toolbox's registry, in eval mode.

    The backbone's ``init_cfg`` is dropped (a checkpoint carries the trained weights;
    without one the weights are random, enough to measure or export).  ``checkpoint`` is
    checked first (missing, cut short: the preflight's message) and loaded strictly.
    Returns (model, scope).  The model is built in the config's scope; the process-wide
    default scope is left as it was (measuring many configs in one process).
    """
    from mmengine.registry import DefaultScope
    scope = cfg.get('default_scope')
    if scope != 'hrnet_mm':
        scope = toolbox_of(cfg)
    load_toolbox(scope)
    model_cfg = copy.deepcopy(cfg.model if model_cfg is None else model_cfg)
    if isinstance(model_cfg.get('backbone'), dict):
        model_cfg['backbone']['init_cfg'] = None
    if checkpoint is not None:
        from .preflight.checkpoints import checkpoint_problem
        problem = checkpoint_problem('checkpoint', checkpoint)
        if problem:
            error = CheckpointLoadError if 'truncated' in problem else CheckpointNotFoundError
            raise error(problem)
    with DefaultScope.overwrite_default_scope(scope):
        model = importlib.import_module(f'{scope}.registry').MODELS.build(model_cfg)
    if checkpoint is not None:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval(), scope


def read_image(path: str):
    """The image at ``path`` as a BGR uint8 array, or a clear error.

    Grayscale, RGBA and 16-bit images come back as 8-bit BGR (mmcv's ``color`` flag);
    truncated or oversized files raise instead of giving a partly grey image.
    """
    if not osp.exists(path):
        raise FileNotFoundError(f'image {path!r} does not exist')
    if osp.isdir(path):
        raise IsADirectoryError(f'image {path!r} is a folder; give one image file')
    from .preflight.data import check_image
    check_image(path)
    import mmcv
    try:
        img = mmcv.imread(path, channel_order='bgr')
    except Exception as exc:  # cv2/pillow/turbojpeg decode errors vary by backend
        raise ValueError(f'cannot read image {path!r}: {exc}') from exc
    if img is None or getattr(img, 'size', 0) == 0:
        raise ValueError(f'cannot read image {path!r}: not an image file or an '
                         'unsupported/corrupt format')
    return img


def _loader_with_dataset(cfg, keys=('test_dataloader', 'val_dataloader')):
    """The first of the config's loaders ``keys`` that has a dataset (a training-only
    config's val loader runs the same test-time pipeline as a test loader), or None."""
    for key in keys:
        loader = cfg.get(key, None) or {}
        if loader.get('dataset'):
            return loader
    return None


def config_dataset_meta(cfg) -> dict:
    """The class names and palette a checkpoint trained with ``cfg`` would carry.

    The Runner stores its dataset's ``metainfo`` in every checkpoint; without one the
    toolboxes' inferencers fall back to COCO's (mmdet) or Cityscapes' (mmseg) names, so
    the config's test dataset (else its training dataset, which a checkpoint trained
    with it carries) is built lazily (no annotation file is read) for its own.
    """
    from mmengine.registry import DATASETS
    loader = _loader_with_dataset(cfg, ('test_dataloader', 'val_dataloader',
                                        'train_dataloader'))
    if loader is None:
        raise ValueError('the config has no test/val/train dataloader dataset to take '
                         'class names from; give one')
    dataset_cfg = copy.deepcopy(loader['dataset'])
    dataset_cfg['lazy_init'] = True
    return dict(DATASETS.build(dataset_cfg).metainfo)


def _inferencer(cfg, scope: str, checkpoint: Optional[str], meta: dict, device: str):
    """The toolbox's own Inferencer for ``cfg``: mmdet's DetInferencer, mmseg's
    MMSegInferencer, mmpose's MMPoseInferencer (top-down on the whole image)."""
    cfg = copy.deepcopy(cfg)
    if not (cfg.get('test_dataloader') or {}).get('dataset'):
        # The inferencers read their pipeline from the test loader.  A training-only
        # config may have only a val loader or only the top-level `test_pipeline` the
        # toolboxes' older inference_model() read.
        loader = _loader_with_dataset(cfg)
        if loader is not None:
            cfg.test_dataloader = loader
        elif cfg.get('test_pipeline'):
            cfg.test_dataloader = dict(dataset=dict(pipeline=cfg.test_pipeline))
        else:
            raise ValueError('the config has no test_dataloader/val_dataloader dataset and '
                             'no test_pipeline for the inferencer to run; give one')
    vis = dict(cfg.get('visualizer') or {})
    vis.pop('vis_backends', None)  # draw to an array only; nothing under a work_dir
    if scope == 'mmpose':
        # mmpose 1.3.2's OpenCV backend draws each keypoint with int(np.array([r])),
        # which NumPy 2 refuses; mmengine's matplotlib backend draws the same marks.
        vis['backend'] = 'matplotlib'
    cfg.visualizer = vis
    if scope == 'mmdet':
        from mmdet.apis import DetInferencer
        inferencer = DetInferencer(cfg, checkpoint, device=device, show_progress=False)
        inferencer.model.dataset_meta = inferencer.visualizer.dataset_meta = meta
    elif scope == 'mmseg':
        from mmseg.apis import MMSegInferencer
        names = dict(classes=meta.get('classes'), palette=meta.get('palette'))
        inferencer = MMSegInferencer(cfg, checkpoint, device=device, **names)
        inferencer.model.dataset_meta = names  # what its visualize() draws the names from
    else:
        from mmpose.apis import MMPoseInferencer
        inferencer = MMPoseInferencer(pose2d=cfg, pose2d_weights=checkpoint, device=device,
                                      det_model='whole_image', show_progress=False)
    return inferencer


def draw_predictions(cfg, checkpoint: Optional[str], image: str, out: str,
                     device: str = 'cpu', score_thr: float = 0.3, say=None) -> str:
    """Runs the config's toolbox Inferencer on one image and writes its drawing to ``out``.

    ``checkpoint=None`` draws a randomly initialised model (to check the pipeline).  The
    inferencers load weights non-strictly; a checkpoint that does not match the model is
    refused here, as tools/test.py refuses it.  ``say`` gets a line per phase.
    """
    import mmcv
    say = say or (lambda message: None)
    scope = init_toolbox(cfg)
    img_bgr = read_image(image)
    state = None
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
        from .checkpoint_io import torch_load_trusted
        state = torch_load_trusted(checkpoint, 'cpu')
    meta = ((state or {}).get('meta') or {}).get('dataset_meta') or (
        config_dataset_meta(cfg) if scope in ('mmdet', 'mmseg') else {})  # mmpose: its own
    say(f'building the {scope} inferencer' + (f' and loading {checkpoint}' if checkpoint
                                               else ''))
    import warnings
    with warnings.catch_warnings():
        # Without weights the inferencers say they take COCO's/Cityscapes' names; the
        # config's own are set instead (and the tool says the model is random).
        warnings.filterwarnings('ignore', message='(weights is None|Checkpoint is not loaded)')
        inferencer = _inferencer(cfg, scope, checkpoint, meta, device)
    if state is not None:
        from .weights import check_model_matches
        model = inferencer.inferencer.model if scope == 'mmpose' else inferencer.model
        check_model_matches(model, state, f'checkpoint {checkpoint}')
    say('predicting')
    if scope == 'mmdet':
        result = inferencer(img_bgr, return_vis=True, no_save_vis=True,
                            pred_score_thr=score_thr)
    elif scope == 'mmseg':
        result = inferencer(img_bgr, return_vis=True)
    else:  # a generator, one result per input
        result = next(inferencer(img_bgr, return_vis=True, kpt_thr=score_thr,
                                 draw_bbox=True))
    drawn = result['visualization']
    drawn = drawn[0] if isinstance(drawn, (list, tuple)) else drawn  # RGB
    if drawn is None or drawn.shape[:2] != img_bgr.shape[:2]:
        raise RuntimeError(f'the {scope} inferencer drew no image of the input size')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if not mmcv.imwrite(mmcv.rgb2bgr(drawn), out):
        raise OSError(f'could not write {out!r}')
    return out
