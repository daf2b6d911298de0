"""What can be known to fail before a runner is built, checked in second 1.

* :func:`check_data_roots` (``paths``) -- a dataset path the run needs is missing;
* :func:`check_checkpoints` (``checkpoints``) -- ``load_from`` / ``--resume`` /
  ``init_cfg`` files missing or cut short, a ``pretrained`` left by a replaced backbone;
  :func:`resume_report` -- ``--resume`` against a changed config;
* :func:`check_datasets` (``data``) -- every image, annotation and label value the run
  reads;
* :func:`check_hooks` (``hooks``) -- hook options their class does not take;
* :func:`check_launcher` -- NCCL on a machine without CUDA.

All of them read the config through ``walk`` (one walker over datasets and checkpoints).
"""
import os
from typing import List

from ..compat.mmengine import check_dist_backend
from .checkpoints import check_checkpoints, nothing_to_resume, resume_report
from .data import check_datasets, check_image, coco_problems, image_problem
from .hooks import check_hooks, hook_problems
from .paths import DEMO_DATA_HINT, check_data_roots, missing_data_paths


def check_launcher(cfg) -> None:
    """Raises :class:`~hrnet_mm.errors.DistBackendError` for NCCL on a machine without CUDA."""
    if cfg.get('launcher', 'none') != 'none':
        dist_cfg = (cfg.get('env_cfg') or {}).get('dist_cfg') or {}
        check_dist_backend(dist_cfg.get('backend', 'nccl'))


def check_run(cfg, mode: str, check_data: bool = True) -> List[str]:
    """What else can fail before the runner is built (after :func:`check_data_roots`):
    raises one of ``hrnet_mm.cli.CHECK_ERRORS``; returns warnings about the data."""
    check_launcher(cfg)
    check_hooks(cfg)
    check_checkpoints(cfg)
    if not check_data or os.environ.get('LOCAL_RANK', '0') != '0':
        return []  # one check per machine is enough
    return check_datasets(cfg, mode, scope=cfg.get('default_scope'))


__all__ = ['DEMO_DATA_HINT', 'check_checkpoints', 'check_hooks', 'hook_problems', 'check_data_roots', 'check_datasets',
           'check_image', 'check_launcher', 'check_run', 'coco_problems', 'image_problem',
           'missing_data_paths', 'nothing_to_resume', 'resume_report']
