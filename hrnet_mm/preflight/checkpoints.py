"""Checkpoints a run would load: missing or cut-short files, a leaked ``pretrained``, and
``--resume`` against a config that changed since the checkpoint was written."""
import os.path as osp
from typing import List, Optional, Tuple

from ..checkpoint_io import is_complete_checkpoint, torch_load_trusted
from ..errors import CheckpointLoadError, CheckpointNotFoundError
from ..weights import resolve_openmmlab
from .walk import checkpoint_refs


def checkpoint_problem(key: str, path: str) -> Optional[str]:
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
    problems = [p for p in (checkpoint_problem(k, v) for k, v in checkpoint_refs(cfg)) if p]
    if problems:
        error = CheckpointLoadError if any('truncated' in p for p in problems) else \
            CheckpointNotFoundError
        raise error('\n'.join(problems))


def nothing_to_resume(work_dir: str) -> bool:
    """``--resume`` without a path finds no checkpoint in ``work_dir`` (mmengine would then
    silently train from iteration 0)."""
    from mmengine.runner import find_latest_checkpoint
    return not osp.isdir(work_dir) or find_latest_checkpoint(work_dir) is None


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
