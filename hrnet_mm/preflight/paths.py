"""Data roots: a dataset path the run needs is missing -> fail before the runner is built,
naming the path and how to prepare that dataset (instead of a ``FileNotFoundError`` from
deep inside a dataloader worker)."""
import os
import os.path as osp
from typing import List, Optional, Tuple

from ..errors import DatasetNotFoundError
from .walk import dataset_paths, evaluator_paths, is_remote, run_datasets, run_parts

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
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


def missing_data_paths(cfg, mode: str = 'train') -> List[Tuple[str, str, str, str]]:
    """(config key, dataset/metric type, what, path) for each missing local path."""
    missing, seen = [], set()
    datasets = dict(run_datasets(cfg, mode))
    for key, part in run_parts(cfg, mode):
        if not part:
            continue
        if key.endswith('_dataloader'):
            if key not in datasets:
                continue  # petrel/S3 etc.: not ours to check
            paths = dataset_paths(datasets[key])
        else:
            paths = evaluator_paths(part)
        for dtype, what, path in paths:
            if is_remote(path) or path in seen:
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
    # Where tools/prepare_demo_data.py builds it: the builder is developer tooling, which
    # runtime code does not import (tests/test_preflight checks the two agree).
    return osp.join(REPO_ROOT, 'data', 'demo')


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
