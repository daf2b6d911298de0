"""What ``tools/train.py``, ``tools/test.py`` and ``tools/demo.py`` share.

* :func:`init_toolbox` -- the config's ``default_scope`` picks the toolbox (mmdet, mmseg
  or mmpose); its modules are registered and its scope made the default, as the
  toolbox's own tools do.  ``hrnet_mm`` is always imported, so ``type='HRNet'`` builds
  hrnet_mm's backbone.
* :func:`check_data_roots` -- fails *before* a runner is built when a dataset the run
  needs is not on disk, naming the missing path and how to prepare that dataset
  (instead of a ``FileNotFoundError`` from deep inside a dataloader worker).
* :func:`read_image` -- reads a demo image or says clearly why it cannot.
"""
import importlib
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence, Tuple

import hrnet_mm  # noqa: F401  (shims + HRNet/HRFPN registration into every toolbox)

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
    """The image at ``path`` as a BGR uint8 array, or a clear error."""
    if not osp.exists(path):
        raise FileNotFoundError(f'image {path!r} does not exist')
    if osp.isdir(path):
        raise IsADirectoryError(f'image {path!r} is a folder; give one image file')
    import mmcv
    try:
        img = mmcv.imread(path, channel_order='bgr')
    except Exception as exc:  # cv2/pillow/turbojpeg decode errors vary by backend
        raise ValueError(f'cannot read image {path!r}: {exc}') from exc
    if img is None or getattr(img, 'size', 0) == 0:
        raise ValueError(f'cannot read image {path!r}: not an image file or an '
                         'unsupported/corrupt format')
    return img


def parse_launcher_env(local_rank: Optional[int]) -> None:
    """torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK."""
    if 'LOCAL_RANK' not in os.environ and local_rank is not None:
        os.environ['LOCAL_RANK'] = str(local_rank)


__all__: Sequence[str] = ('TOOLBOXES', 'DatasetNotFoundError', 'toolbox_of',
                          'init_toolbox', 'missing_data_paths', 'check_data_roots',
                          'read_image', 'parse_launcher_env')
