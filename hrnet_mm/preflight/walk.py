"""The one walk over a config's datasets, evaluators and checkpoints.

Every check before a run (data roots, the data scan, checkpoint files) and the deploy
path read the config through these generators, so a dataset wrapper or a new place a
checkpoint can be named is taught once.
"""
import os.path as osp
from typing import Iterable, List, Optional, Tuple

MODES = ('train', 'val', 'test')


def is_remote(path: str) -> bool:
    return '://' in str(path)


def join_root(root: Optional[str], path: str) -> str:
    """``path`` under the dataset's ``data_root``, as the toolboxes resolve it."""
    if not root or osp.isabs(path) or is_remote(path):
        return path
    return osp.join(root, path)


def run_parts(cfg, mode: str) -> List[Tuple[str, object]]:
    """(config key, value) of the dataloaders and evaluators a ``mode`` run uses.

    ``train`` includes the val dataloader and evaluator when the config validates."""
    if mode == 'train':
        parts = [('train_dataloader', cfg.get('train_dataloader'))]
        if cfg.get('val_cfg') and cfg.get('val_dataloader') and cfg.get('val_evaluator'):
            parts += [('val_dataloader', cfg.get('val_dataloader')),
                      ('val_evaluator', cfg.get('val_evaluator'))]
        return parts
    if mode in ('test', 'val'):
        return [(f'{mode}_dataloader', cfg.get(f'{mode}_dataloader')),
                (f'{mode}_evaluator', cfg.get(f'{mode}_evaluator'))]
    raise ValueError(f'mode must be one of {MODES}, not {mode!r}')


def run_datasets(cfg, mode: str) -> List[Tuple[str, dict]]:
    """(dataloader key, dataset config) of the local datasets a ``mode`` run reads
    (datasets behind ``backend_args`` -- petrel, S3 -- are not ours to check)."""
    out = []
    for key, part in run_parts(cfg, mode):
        if not key.endswith('_dataloader') or not isinstance(part, dict):
            continue
        dataset = part.get('dataset')
        if isinstance(dataset, dict) and not dataset.get('backend_args'):
            out.append((key, dataset))
    return out


def dataset_leaves(dataset_cfg: dict) -> Iterable[dict]:
    """The dataset configs that hold files, inside any wrappers: Repeat/ClassBalanced/
    MultiImageMix hold ``dataset``, Concat/Combined hold ``datasets``."""
    if not isinstance(dataset_cfg, dict):
        return
    if isinstance(dataset_cfg.get('dataset'), dict):
        yield from dataset_leaves(dataset_cfg['dataset'])
    for sub in dataset_cfg.get('datasets', None) or []:
        yield from dataset_leaves(sub)
    if 'dataset' not in dataset_cfg and 'datasets' not in dataset_cfg:
        yield dataset_cfg


def dataset_paths(dataset_cfg: dict) -> Iterable[Tuple[str, str, str]]:
    """(dataset type, what, path) for every path a dataset config will open."""
    for leaf in dataset_leaves(dataset_cfg):
        dtype = str(leaf.get('type', '')).split('.')[-1]
        root = leaf.get('data_root', None)
        if root:
            yield dtype, 'data_root', root
        ann_file = leaf.get('ann_file', None)
        if isinstance(ann_file, str) and ann_file:
            yield dtype, 'ann_file', join_root(root, ann_file)
        prefix = leaf.get('data_prefix', None) or {}
        if isinstance(prefix, dict):
            for key, value in prefix.items():
                if isinstance(value, str) and value:
                    yield dtype, f'data_prefix.{key}', join_root(root, value)
        bbox_file = leaf.get('bbox_file', None)
        if isinstance(bbox_file, str) and bbox_file:
            yield dtype, 'bbox_file', bbox_file  # mmpose: relative to the working dir


def evaluator_paths(evaluator) -> Iterable[Tuple[str, str, str]]:
    """(metric type, 'ann_file', path) of the files the evaluators read."""
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    for metric in metrics:
        if isinstance(metric, dict):
            if isinstance(metric.get('metrics'), (list, tuple)):  # Evaluator wrapper
                yield from evaluator_paths(metric['metrics'])
            ann_file = metric.get('ann_file', None)
            if isinstance(ann_file, str) and ann_file and not metric.get('format_only'):
                yield str(metric.get('type', '')), 'ann_file', ann_file


def pretrained_refs(node, where: str = 'model') -> Iterable[Tuple[str, str]]:
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
                yield from pretrained_refs(value, sub)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from pretrained_refs(value, f'{where}.{i}')


def checkpoint_refs(cfg) -> List[Tuple[str, str]]:
    """(config key, checkpoint) of every file a run of ``cfg`` loads: the model's
    pretrained weights and ``load_from`` (named ``--resume`` when resuming)."""
    found = list(pretrained_refs(cfg.get('model'), 'model'))
    load_from = cfg.get('load_from')
    if isinstance(load_from, str):
        found.append(('--resume' if cfg.get('resume') else 'load_from', load_from))
    return found
