"""What ``tools/train.py``, ``tools/test.py`` and ``tools/demo.py`` share.

* :func:`init_toolbox` -- the config's ``default_scope`` picks the toolbox (mmdet, mmseg
  or mmpose); its modules are registered and its scope made the default, as the
  toolbox's own tools do.  ``hrnet_mm`` is always imported, so ``type='HRNet'`` builds
  hrnet_mm's backbone.
* :func:`check_data_roots` -- fails *before* a runner is built when a dataset the run
  needs is not on disk, naming the missing path and how to prepare that dataset
  (instead of a ``FileNotFoundError`` from deep inside a dataloader worker).
* :func:`read_image` -- reads a demo image or says clearly why it cannot.
* :func:`check_run` -- what else can be known to fail before a runner is built: NCCL on a
  machine without CUDA, checkpoint files (``load_from``/``--resume``/``init_cfg``) that
  are missing or cut short, and the data (``hrnet_mm.datacheck``).
* :func:`add_safety_hooks` -- stop on a NaN loss, refuse a checkpoint of another model.
* ``CHECK_ERRORS`` / ``RUN_ERRORS`` -- what the tools print as ``error: ...`` (no
  traceback): found before the runner is built / raised while it runs.
"""
import importlib
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence, Tuple

import hrnet_mm  # noqa: F401  (shims + HRNet/HRFPN registration into every toolbox)
from hrnet_mm.compat import (CheckpointLoadError, CheckpointNotFoundError, DistBackendError,
                             check_dist_backend, is_complete_checkpoint, pid_alive)
from hrnet_mm.datacheck import DataCheckError, check_datasets, check_image
from hrnet_mm.hooks import NonFiniteLossError
from hrnet_mm.weights import IncompatibleCheckpointError, resolve_openmmlab

TOOLBOXES = ('mmdet', 'mmseg', 'mmpose')
DEMO_DATA_HINT = 'build it with: python tools/prepare_demo_data.py'
CFG_OPTIONS_HINT = ('or point the config at your copy, e.g. --cfg-options '
                    'train_dataloader.dataset.data_root=PATH/ (and the val/test '
                    'dataloaders and evaluator ann_file likewise)')

# (toolbox, dataset type) -> how to get that dataset into the layout its configs expect.
DATASET_HINTS = {
    ('mmdet', 'CocoDataset'): (
        'COCO 2017 is expected in the standard layout data/coco/{train2017,val2017,'
        'annotations} (annotations/instances_{train,val}2017.json), from '
        'https://cocodataset.org/#download'),
    ('mmseg', 'CityscapesDataset'): (
        'Cityscapes is expected as data/cityscapes/{leftImg8bit,gtFine}/{train,val}, '
        'with the *_labelTrainIds.png maps made by MMSegmentation\'s '
        'tools/dataset_converters/cityscapes.py (https://www.cityscapes-dataset.com)'),
    ('mmseg', 'PascalContextDataset'): (
        'PASCAL-Context is expected as data/VOCdevkit/VOC2010 with '
        'SegmentationClassContext made by MMSegmentation\'s '
        'tools/dataset_converters/pascal_context.py'),
    ('mmseg', 'PascalContextDataset59'): (
        'PASCAL-Context is expected as data/VOCdevkit/VOC2010 with '
        'SegmentationClassContext made by MMSegmentation\'s '
        'tools/dataset_converters/pascal_context.py'),
    ('mmpose', 'CocoDataset'): (
        'COCO 2017 keypoints are expected as data/coco/{train2017,val2017,annotations} '
        '(annotations/person_keypoints_{train,val}2017.json) plus the person detections '
        'in data/coco/person_detection_results/, as in MMPose\'s dataset docs'),
}
STUFF_HINT = ('HTC\'s semantic branch also needs the COCO-Stuff maps: unzip '
              'stuffthingmaps_trainval2017.zip to data/coco/stuffthingmaps/{train2017,val2017}')


class DatasetNotFoundError(FileNotFoundError):
    """A dataset path named by the config does not exist."""


def toolbox_of(cfg) -> str:
    """The toolbox a config belongs to, from its ``default_scope``."""
    scope = cfg.get('default_scope', None)
    if scope not in TOOLBOXES:
        raise ValueError(
            f'config has default_scope={scope!r}; hrnet_mm\'s tools run configs of '
            f'{", ".join(TOOLBOXES)} only (set default_scope in the config or inherit '
            'the toolbox\'s default_runtime.py)')
    return scope


def init_toolbox(cfg) -> str:
    """Registers the config's toolbox and makes its scope the default; returns it."""
    scope = toolbox_of(cfg)
    try:
        utils = importlib.import_module(f'{scope}.utils')
    except ImportError as exc:
        raise ImportError(f'config needs {scope}, which is not importable: {exc}') from exc
    utils.register_all_modules(init_default_scope=False)
    from mmengine.registry import init_default_scope
    init_default_scope(scope)
    return scope


# ---------------------------------------------------------------------------
# dataset paths


def _is_remote(path: str) -> bool:
    return '://' in str(path)


def _join(root: Optional[str], path: str) -> str:
    if not root or osp.isabs(path) or _is_remote(path):
        return path
    return osp.join(root, path)


def _dataset_paths(dataset: dict) -> Iterable[Tuple[str, str, str]]:
    """(dataset type, what, path) for every path a dataset config will open."""
    if not isinstance(dataset, dict):
        return
    # Wrappers: RepeatDataset/ClassBalancedDataset/MultiImageMixDataset hold
    # `dataset`; ConcatDataset/CombinedDataset hold `datasets`.
    if isinstance(dataset.get('dataset'), dict):
        yield from _dataset_paths(dataset['dataset'])
    for sub in dataset.get('datasets', None) or []:
        yield from _dataset_paths(sub)
    dtype = str(dataset.get('type', ''))
    dtype = dtype.split('.')[-1]
    root = dataset.get('data_root', None)
    if root:
        yield dtype, 'data_root', root
    ann_file = dataset.get('ann_file', None)
    if isinstance(ann_file, str) and ann_file:
        yield dtype, 'ann_file', _join(root, ann_file)
    prefix = dataset.get('data_prefix', None) or {}
    if isinstance(prefix, dict):
        for key, value in prefix.items():
            if isinstance(value, str) and value:
                yield dtype, f'data_prefix.{key}', _join(root, value)
    bbox_file = dataset.get('bbox_file', None)
    if isinstance(bbox_file, str) and bbox_file:
        yield dtype, 'bbox_file', bbox_file  # mmpose: relative to the working dir


def _evaluator_paths(evaluator) -> Iterable[Tuple[str, str, str]]:
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    for metric in metrics:
        if isinstance(metric, dict):
            if isinstance(metric.get('metrics'), (list, tuple)):  # Evaluator wrapper
                yield from _evaluator_paths(metric['metrics'])
            ann_file = metric.get('ann_file', None)
            if isinstance(ann_file, str) and ann_file and not metric.get('format_only'):
                yield str(metric.get('type', '')), 'ann_file', ann_file


def _needed_parts(cfg, mode: str) -> List[Tuple[str, object]]:
    if mode == 'train':
        parts = [('train_dataloader', cfg.get('train_dataloader'))]
        if cfg.get('val_cfg') and cfg.get('val_dataloader') and cfg.get('val_evaluator'):
            parts += [('val_dataloader', cfg.get('val_dataloader')),
                      ('val_evaluator', cfg.get('val_evaluator'))]
        return parts
    if mode in ('test', 'val'):
        return [(f'{mode}_dataloader', cfg.get(f'{mode}_dataloader')),
                (f'{mode}_evaluator', cfg.get(f'{mode}_evaluator'))]
    raise ValueError(f'mode must be "train", "val" or "test", not {mode!r}')


def missing_data_paths(cfg, mode: str = 'train') -> List[Tuple[str, str, str, str]]:
    """(config key, dataset/metric type, what, path) for each missing local path."""
    missing, seen = [], set()
    for key, part in _needed_parts(cfg, mode):
        if not part:
            continue
        if key.endswith('_dataloader'):
            dataset = part.get('dataset', None) if isinstance(part, dict) else None
            if isinstance(dataset, dict) and dataset.get('backend_args'):
                continue  # petrel/S3 etc.: not ours to check
            paths = _dataset_paths(dataset)
        else:
            paths = _evaluator_paths(part)
        for dtype, what, path in paths:
            if _is_remote(path) or path in seen:
                continue
            seen.add(path)
            if not osp.exists(path):
                missing.append((key, dtype, what, path))
    return missing


def _under(path: str, root: str) -> bool:
    path, root = osp.abspath(path), osp.abspath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _hint(scope: str, dtype: str, path: str) -> str:
    norm = path.replace('\\', '/')
    if '/demo/' in f'/{norm}' or _under(path, _demo_root()):
        return DEMO_DATA_HINT
    if 'stuffthingmaps' in norm:
        return STUFF_HINT
    hint = DATASET_HINTS.get((scope, dtype))
    if hint:
        return hint
    return (f'download the {dtype or "dataset"} data and lay it out as the config '
            'expects (see the toolbox\'s dataset preparation docs)')


def _demo_root() -> str:
    try:
        from hrnet_mm.datasets.demo_data import default_demo_root
        return str(default_demo_root())
    except Exception:  # pragma: no cover - the demo module is optional here
        return osp.join('data', 'demo')


def check_data_roots(cfg, mode: str = 'train', config_path: Optional[str] = None) -> None:
    """Raises :class:`DatasetNotFoundError` when a dataset path the run needs is missing.

    ``mode='train'`` checks the train data and, when the config validates, the val data
    and evaluator; ``'test'``/``'val'`` check that dataloader and evaluator.  Relative
    paths are resolved against the working directory, as the toolboxes do.  Paths
    behind ``backend_args`` or a URL scheme are not checked.
    """
    missing = missing_data_paths(cfg, mode)
    if not missing:
        return
    scope = cfg.get('default_scope', None) or ''
    name = f' {config_path}' if config_path else ''
    lines = [f'config{name} needs data that is not there (working directory: '
             f'{os.getcwd()}):']
    hints = []
    for key, dtype, what, path in missing:
        lines.append(f'  - {key} {dtype} {what}: {path}')
        hint = _hint(scope, dtype, path)
        if hint not in hints:
            hints.append(hint)
    lines.append('To prepare it:')
    lines += [f'  * {h}' for h in hints]
    if DEMO_DATA_HINT not in hints or len(hints) > 1:
        lines.append(f'  * {CFG_OPTIONS_HINT}')
    raise DatasetNotFoundError('\n'.join(lines))


# ---------------------------------------------------------------------------
# images


def read_image(path: str):
    """The image at ``path`` as a BGR uint8 array, or a clear error.

    Grayscale, RGBA and 16-bit images come back as 8-bit BGR (mmcv's ``color`` flag);
    truncated or oversized files raise instead of giving a partly grey image.
    """
    if not osp.exists(path):
        raise FileNotFoundError(f'image {path!r} does not exist')
    if osp.isdir(path):
        raise IsADirectoryError(f'image {path!r} is a folder; give one image file')
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


# ---------------------------------------------------------------------------
# before the runner: launcher, checkpoints, data

CHECK_ERRORS = (DataCheckError, DistBackendError, CheckpointLoadError, CheckpointNotFoundError,
                FileNotFoundError)
RUN_ERRORS = (CheckpointLoadError, CheckpointNotFoundError, IncompatibleCheckpointError,
              NonFiniteLossError, DistBackendError)


def _pretrained_paths(node, where: str) -> Iterable[Tuple[str, str]]:
    """(config key, checkpoint) of every ``init_cfg`` Pretrained / ``pretrained`` below."""
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f'{where}.{key}'
            if key == 'pretrained' and isinstance(value, str):
                yield sub, value
            elif key == 'init_cfg':
                for i, init in enumerate(value if isinstance(value, list) else [value]):
                    if isinstance(init, dict) and init.get('type') == 'Pretrained' and \
                            isinstance(init.get('checkpoint'), str):
                        name = sub if not isinstance(value, list) else f'{sub}.{i}'
                        yield f'{name}.checkpoint', init['checkpoint']
            else:
                yield from _pretrained_paths(value, sub)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pretrained_paths(value, f'{where}.{i}')


def _checkpoint_problem(key: str, path: str) -> Optional[str]:
    if path.startswith(('open-mmlab://', 'openmmlab://')) and 'msra/hrnet' in path:
        try:
            resolve_openmmlab(path)
        except (FileNotFoundError, KeyError) as exc:
            return f'{key}: {exc}'
        return None
    if '://' in path:
        return None  # downloaded by mmengine
    if not osp.isfile(osp.expanduser(path)):
        fix = ('set it to None to train from random init' if 'init_cfg' in key or
               'pretrained' in key else 'check the path')
        return f'{key}: checkpoint {path!r} does not exist; put the file there or {fix}'
    if not is_complete_checkpoint(osp.expanduser(path)):
        return (f'{key}: checkpoint {path!r} is truncated or corrupt (a run killed while '
                'saving, or an interrupted download); use an earlier checkpoint or '
                'download it again')
    return None


def _leaked_pretrained(model) -> Optional[str]:
    """A model-level ``pretrained`` that mmseg's segmentors hand to the backbone, left by a
    ResNet base config under an HRNet backbone: it would download the ResNet's weights and
    load them into HRNet."""
    if not isinstance(model, dict) or not isinstance(model.get('pretrained'), str):
        return None
    backbone = model.get('backbone') or {}
    if 'HRNet' in str(backbone.get('type', '')) and 'hrnet' not in model['pretrained'].lower():
        return (f"model.pretrained={model['pretrained']!r} is the replaced backbone's weights, "
                'and the segmentor would hand it to HRNet: set model.pretrained=None when '
                "replacing the backbone (HRNet's weights go in model.backbone.init_cfg)")
    return None


def check_checkpoints(cfg) -> None:
    """Raises for missing or cut-short checkpoint files the run would load."""
    leaked = _leaked_pretrained(cfg.get('model'))
    if leaked:
        raise CheckpointNotFoundError(leaked)
    found = list(_pretrained_paths(cfg.get('model'), 'model'))
    load_from = cfg.get('load_from')
    if isinstance(load_from, str):
        found.append(('--resume' if cfg.get('resume') else 'load_from', load_from))
    problems = [p for p in (_checkpoint_problem(k, v) for k, v in found) if p]
    if problems:
        error = CheckpointLoadError if any('truncated' in p for p in problems) else \
            CheckpointNotFoundError
        raise error('\n'.join(problems))


def check_launcher(cfg) -> None:
    """Raises :class:`DistBackendError` for NCCL on a machine without CUDA."""
    if cfg.get('launcher', 'none') != 'none':
        dist_cfg = (cfg.get('env_cfg') or {}).get('dist_cfg') or {}
        check_dist_backend(dist_cfg.get('backend', 'nccl'))


def check_run(cfg, mode: str, check_data: bool = True) -> List[str]:
    """What else can fail before the runner is built (after :func:`check_data_roots`):
    raises one of ``CHECK_ERRORS``; returns warnings about the data."""
    check_launcher(cfg)
    check_checkpoints(cfg)
    if not check_data or os.environ.get('LOCAL_RANK', '0') != '0':
        return []  # one check per machine is enough
    return check_datasets(cfg, mode, scope=cfg.get('default_scope'))


def add_safety_hooks(cfg, allow_partial_load: bool = False, train: bool = True) -> None:
    """Adds :class:`~hrnet_mm.hooks.NonFiniteLossHook` (training) and
    :class:`~hrnet_mm.hooks.CheckpointMatchHook` to ``cfg.custom_hooks`` unless the config
    has them.  A backbone-only ``load_from`` stays allowed when training (not resuming).
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    have = {str(h.get('type', '')).split('.')[-1] for h in hooks if isinstance(h, dict)}
    if train and 'NonFiniteLossHook' not in have:
        hooks.append(dict(type='hrnet_mm.NonFiniteLossHook'))
    if 'CheckpointMatchHook' not in have:
        hooks.append(dict(type='hrnet_mm.CheckpointMatchHook',
                          allow_partial=allow_partial_load,
                          allow_missing=train and not cfg.get('resume', False)))
    cfg.custom_hooks = hooks


def parse_launcher_env(local_rank: Optional[int]) -> None:
    """torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK."""
    if 'LOCAL_RANK' not in os.environ and local_rank is not None:
        os.environ['LOCAL_RANK'] = str(local_rank)


__all__: Sequence[str] = ('TOOLBOXES', 'DatasetNotFoundError', 'CHECK_ERRORS', 'RUN_ERRORS',
                          'toolbox_of',
                          'init_toolbox', 'missing_data_paths', 'check_data_roots',
                          'read_image', 'check_checkpoints', 'check_launcher', 'check_run',
                          'add_safety_hooks', 'parse_launcher_env')


# ---------------------------------------------------------------------------
# test-time options: --tta and --show-dir, wired as the toolboxes' own test scripts do


class ConfigOptionError(ValueError):
    """A command-line option needs something the config does not have."""


def _innermost_dataset(dataset_cfg):
    while 'dataset' in dataset_cfg:  # RepeatDataset, ClassBalancedDataset, ...
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def apply_tta(cfg, config_path: str) -> None:
    """Test-time augmentation from the config's ``tta_model`` and ``tta_pipeline``.

    As mmseg's and mmdet's ``tools/test.py --tta``: the model is wrapped by ``tta_model``
    and the test dataset runs ``tta_pipeline``.  Where the config has none, this says so
    (mmdet would silently invent a default merge; MMPose flips through
    ``model.test_cfg.flip_test`` instead).
    """
    missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
    if missing:
        scope = cfg.get('default_scope')
        hint = (' MMPose configs flip-test through model.test_cfg.flip_test=True '
                '(--cfg-options model.test_cfg.flip_test=True).' if scope == 'mmpose' else '')
        raise ConfigOptionError(
            f'--tta: {config_path} has no {" and no ".join(missing)}; add them to the config '
            f'(as the LIP / PASCAL-Context configs under configs/segmentation do) or test '
            f'without --tta.{hint}')
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model
    _innermost_dataset(cfg.test_dataloader.dataset).pipeline = cfg.tta_pipeline


def apply_show_dir(cfg, show_dir: str) -> str:
    """Draws every test prediction with the toolbox's visualiser into ``show_dir``.

    The toolboxes' test scripts switch on their ``default_hooks.visualization`` hook
    (mmdet: ``draw`` + ``test_out_dir``; mmseg: ``draw`` + the visualiser's ``save_dir``;
    mmpose: ``enable`` + ``out_dir``).  Returns the folder the images go to.
    """
    hooks = cfg.get('default_hooks') or {}
    if 'visualization' not in hooks:
        raise ConfigOptionError(
            "--show-dir needs default_hooks.visualization (the toolbox's VisualizationHook, "
            "which its default_runtime.py sets); add "
            "default_hooks=dict(visualization=dict(type='...VisualizationHook'))")
    show_dir = osp.abspath(show_dir)
    hook = hooks['visualization']
    scope = toolbox_of(cfg)
    if scope == 'mmdet':
        hook['draw'] = True
        hook['test_out_dir'] = show_dir  # absolute: mmdet joins it to the run's log dir
    elif scope == 'mmseg':
        hook['draw'] = True
        cfg.visualizer['save_dir'] = show_dir  # images go to <save_dir>/vis_data/vis_image
        show_dir = osp.join(show_dir, 'vis_data', 'vis_image')
    else:
        hook['enable'] = True
        hook['out_dir'] = show_dir
    hook['interval'] = 1
    return show_dir


# ---------------------------------------------------------------------------
# the config file and the work dir


class ConfigFileError(ValueError):
    """The config file itself cannot be read (a syntax error, a missing base)."""


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


class WorkDirBusyError(RuntimeError):
    """Another live run trains into the same work dir, or it is not writable."""


LOCK_NAME = '.hrnet_mm_train.lock'


class WorkDirLock:
    """``<work_dir>/.hrnet_mm_train.lock`` holding the pid of the run training into it.

    A second run into the same work dir is refused with the first one's pid (two runs
    would overwrite each other's checkpoints and ``last_checkpoint``); a lock whose process
    is gone is taken over.  Taking it also proves the work dir is writable, before the
    data scan.  Only rank 0 of a distributed run locks.
    """

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self.held = False

    def acquire(self) -> 'WorkDirLock':
        try:
            os.makedirs(self.work_dir, exist_ok=True)
            for _ in range(3):
                try:
                    fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    try:
                        with open(self.path) as f:
                            pid = int(f.read().strip() or 0)
                    except (OSError, ValueError):
                        pid = 0
                    if pid and pid != os.getpid() and pid_alive(pid):
                        raise WorkDirBusyError(
                            f'work_dir {self.work_dir} is in use by another run (pid {pid}); '
                            'wait for it, stop it, or give this run another --work-dir')
                    os.remove(self.path)  # stale: its run is gone
                    continue
                with os.fdopen(fd, 'w') as f:
                    f.write(str(os.getpid()))
                self.held = True
                return self
        except PermissionError as exc:
            raise WorkDirBusyError(f'work_dir {self.work_dir} is not writable ({exc.strerror}); '
                                   'give a writable --work-dir') from exc
        raise WorkDirBusyError(f'could not take {self.path}; remove it if no run uses it')

    def release(self) -> None:
        if self.held:
            try:
                with open(self.path) as f:
                    mine = f.read().strip() == str(os.getpid())
                if mine:
                    os.remove(self.path)
            except OSError:
                pass
            self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def is_rank_zero() -> bool:
    return os.environ.get('RANK', '0') == '0' and os.environ.get('LOCAL_RANK', '0') == '0'


def nothing_to_resume(work_dir: str) -> bool:
    """``--resume`` without a path finds no checkpoint in ``work_dir`` (mmengine would then
    silently train from iteration 0)."""
    from mmengine.runner import find_latest_checkpoint
    return not osp.isdir(work_dir) or find_latest_checkpoint(work_dir) is None


# ---------------------------------------------------------------------------
# --resume against a changed config


def _get(cfg, dotted: str):
    node = cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg  # a Config is no dict
    for part in dotted.split('.'):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def resume_report(cfg, checkpoint: str) -> Tuple[List[str], Optional[str]]:
    """(warnings, error) for resuming ``checkpoint`` with ``cfg``.

    mmengine's resume restores the checkpoint's optimizer and scheduler state: a changed
    lr, schedule or ``max_iters`` in the config silently does not apply (raising
    ``max_iters`` then trains at the old schedule's last lr, often 0), and another
    optimizer type fails with ``KeyError: 'step'``.  The checkpoint's own config (saved
    in its meta by ``Runner.from_cfg``) is compared with ``cfg``.
    """
    from mmengine.config import Config
    from hrnet_mm.compat import torch_load_trusted
    meta = (torch_load_trusted(checkpoint, 'cpu').get('meta') or {})
    try:
        old = Config.fromstring(meta.get('cfg') or '', '.py') if meta.get('cfg') else None
    except Exception:  # an unreadable old config: nothing to compare, nothing to say
        old = None
    if old is None:
        return [], None
    load_from = f'--cfg-options load_from={checkpoint} (a new schedule from its weights)'
    was, now = _get(old, 'optim_wrapper.optimizer.type'), _get(cfg, 'optim_wrapper.optimizer.type')
    if was and now and was != now:
        return [], (f'--resume: {checkpoint} was trained with optimizer {was} and the config '
                    f'now uses {now}; its optimizer state cannot be resumed into another '
                    f'optimizer. To continue from its weights with {now}, use {load_from} '
                    'instead of --resume')
    warnings_ = []
    keys = ['optim_wrapper.optimizer.lr', 'optim_wrapper.optimizer.weight_decay',
            'optim_wrapper.optimizer.momentum', 'param_scheduler', 'train_cfg.max_iters',
            'train_cfg.max_epochs']
    for key in keys:
        was, now = _get(old, key), _get(cfg, key)
        if was != now and not (was is None or now is None):
            warnings_.append(
                f'--resume: {key} is {now!r} in the config but {was!r} in {checkpoint}; the '
                "checkpoint's optimizer and lr-scheduler state are restored, so the schedule "
                f'runs as before (raising max_iters trains on at its last lr). For the new '
                f'values use {load_from}')
    return warnings_, None
