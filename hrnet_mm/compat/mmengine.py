"""Shims for mmengine 0.10.7 on current torch, and for training that survives a kill.

Nothing in site-packages is edited: each shim re-registers or wraps one entry point.
"""
from typing import List

import torch

from ..errors import DistBackendError
from . import Shim, apply_shims

PATCHES = '0.10.7'


def _quiet_pkg_resources():
    """mmengine 0.10.7 ``utils/package_utils.py`` imports ``pkg_resources`` to find
    installed packages (``mmdet::`` config bases, registering a toolbox), and setuptools
    >= 81 (the mmcv build pins < 82 for that module) warns on every such import: two
    identical UserWarnings opened every command.  Only that message is silenced."""
    import warnings
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API',
                            category=UserWarning)


def _restricted_checkpoint_loading():
    """mmengine 0.10.7 ``load_from_local`` calls ``torch.load`` without ``weights_only``,
    and torch >= 2.6 then rejects the message hub, history buffers and numpy scalars that
    every mmengine training checkpoint holds (``--resume`` and ``load_from`` fail with an
    UnpicklingError).  Local files are read by
    :func:`hrnet_mm.checkpoint_io.torch_load_trusted` instead: only tensors and those
    mmengine objects are unpickled, anything else is refused unless trusted."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from ..checkpoint_io import torch_load_trusted

    def _load_from_local(filename, map_location):
        return torch_load_trusted(filename, map_location)

    CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)


def _local_hrnet_imagenet_weights():
    """mmengine 0.10.7 resolves ``open-mmlab://msra/hrnetv2_w32`` & co (the mmdet/mmseg
    configs' ImageNet init) to download.openmmlab.com, whose downloads fail or hang
    often; every run from those configs then depends on it.  These names are read from a
    local copy (``$HRNET_MM_WEIGHTS`` or torch's hub folder) instead, with a clear error
    naming where to put the file (:func:`hrnet_mm.weights.resolve_openmmlab`); other
    ``open-mmlab://`` names keep mmengine's loader."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from ..checkpoint_io import torch_load_trusted
    from ..weights import HRNET_OPENMMLAB_PREFIX, resolve_openmmlab
    upstream = CheckpointLoader._schemes.get('open-mmlab://')

    def _load_from_openmmlab(filename: str, map_location=None):
        if filename.split('://', 1)[1].startswith(HRNET_OPENMMLAB_PREFIX):
            return torch_load_trusted(resolve_openmmlab(filename), map_location)
        return upstream(filename, map_location)

    CheckpointLoader.register_scheme(prefixes=('open-mmlab://', 'openmmlab://'),
                                     loader=_load_from_openmmlab, force=True)


def _atomic_checkpoint_put():
    """mmengine 0.10.7 ``save_checkpoint`` hands the serialised checkpoint to
    ``LocalBackend.put``, which opens the final ``iter_N.pth`` with ``'wb'`` and writes in
    place: a run killed mid-save (OOM killer, preemption, Ctrl-C twice) leaves a truncated
    checkpoint under the real name.  Writing a temporary file and ``os.replace``-ing it
    makes every local ``put`` all-or-nothing."""
    from mmengine.fileio.backends.local_backend import LocalBackend

    from ..checkpoint_io import atomic_write_bytes

    def _atomic_put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, filepath)

    LocalBackend.put = _atomic_put


class _DeferredRemoval:
    """A file backend whose ``remove``/``rmtree`` wait until :meth:`flush`."""

    def __init__(self, backend):
        self._backend = backend
        self.pending = []

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def remove(self, path):
        self.pending.append((self._backend.remove, path))

    def rmtree(self, path):
        self.pending.append((self._backend.rmtree, path))

    def flush(self):
        for remove, path in self.pending:
            remove(path)


def _save_then_remove_old():
    """mmengine 0.10.7 ``CheckpointHook._save_checkpoint_with_step`` deletes the
    checkpoints beyond ``max_keep_ckpts`` *before* writing the new one.  A run killed
    during that write is left with no complete checkpoint at all (with
    ``max_keep_ckpts=1`` the only one was just deleted) and ``last_checkpoint`` naming a
    deleted file.  The old checkpoints are now removed only after the new one is saved."""
    from mmengine.hooks import CheckpointHook
    upstream = CheckpointHook._save_checkpoint_with_step

    def _save_checkpoint_with_step(self, runner, step, meta):
        backend = self.file_backend
        deferred = _DeferredRemoval(backend)
        self.file_backend = deferred
        try:
            upstream(self, runner, step, meta)
        finally:
            self.file_backend = backend
        deferred.flush()

    CheckpointHook._save_checkpoint_with_step = _save_checkpoint_with_step


def _resume_from_complete_checkpoint():
    """mmengine 0.10.7 ``find_latest_checkpoint`` returns whatever the ``last_checkpoint``
    file names, even a checkpoint that was deleted or cut short, or an empty string when
    that file itself was being rewritten at the kill; ``--resume`` then fails.
    :func:`hrnet_mm.checkpoint_io.find_latest_checkpoint` resumes the newest complete one.
    mmengine imports the function by name into three modules; all three are replaced."""
    import mmengine.runner as runner_pkg
    import mmengine.runner.checkpoint as checkpoint_mod
    import mmengine.runner.runner as runner_mod

    from ..checkpoint_io import find_latest_checkpoint
    for module in (runner_pkg, checkpoint_mod, runner_mod):
        module.find_latest_checkpoint = find_latest_checkpoint


def check_dist_backend(backend: str) -> None:
    """Raises :class:`DistBackendError` for NCCL on a machine without CUDA."""
    if str(backend).lower() == 'nccl' and not torch.cuda.is_available():
        raise DistBackendError(
            "env_cfg.dist_cfg.backend='nccl' needs CUDA GPUs and this machine has none. "
            'To train/test on CPU processes add: --cfg-options '
            'env_cfg.dist_cfg.backend=gloo')


CPU_DIST_TIMEOUT_ENV = 'HRNET_MM_DIST_TIMEOUT'
CPU_DIST_TIMEOUT = 300  # seconds; torch's default is 30 minutes


def cpu_dist_timeout(kwargs: dict):
    """The process-group timeout of a CPU (gloo) run: the config's
    ``env_cfg.dist_cfg.timeout`` (seconds; mmengine passes it as a timedelta), else
    ``$HRNET_MM_DIST_TIMEOUT``, else 300 s -- a frozen worker (stopped, swapping, in a
    debugger) then ends the run in minutes instead of torch's 30."""
    import datetime
    import os
    if kwargs.get('timeout') is not None:
        return kwargs['timeout']
    seconds = int(os.environ.get(CPU_DIST_TIMEOUT_ENV, CPU_DIST_TIMEOUT))
    return datetime.timedelta(seconds=seconds)


def _cpu_launcher():
    """mmengine 0.10.7 ``_init_dist_pytorch`` calls ``torch.cuda.set_device``
    unconditionally, so ``--launcher pytorch`` dies with "Found no NVIDIA driver" on a
    CPU-only machine even with the gloo backend.  Without CUDA, the process group is
    created directly (and NCCL is refused with the fix), with a timeout of minutes
    (:func:`cpu_dist_timeout`) instead of torch's 30 for a frozen gloo worker."""
    import mmengine.dist.utils as dist_utils
    upstream = dist_utils._init_dist_pytorch

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs) -> None:
        if torch.cuda.is_available() or init_backend != 'torch':
            return upstream(backend, init_backend=init_backend, **kwargs)
        check_dist_backend(backend)
        kwargs['timeout'] = cpu_dist_timeout(kwargs)
        torch.distributed.init_process_group(backend=backend, **kwargs)

    dist_utils._init_dist_pytorch = _init_dist_pytorch


def _cpu_ddp():
    """mmengine 0.10.7 ``Runner.wrap_model`` always passes ``device_ids=[LOCAL_RANK]``;
    torch's DDP rejects device_ids for a module on the CPU ("device_ids ... only work with
    single-device/multiple-device GPU modules").  For a CPU module they are dropped, which
    is what DDP expects there."""
    from mmengine.model import MMDistributedDataParallel
    upstream = MMDistributedDataParallel.__init__

    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        if kwargs.get('device_ids') and not any(p.is_cuda for p in module.parameters()):
            kwargs['device_ids'] = None
            kwargs['output_device'] = None
        upstream(self, module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    MMDistributedDataParallel.__init__ = __init__


SHIMS = [Shim(f"mmengine.{f.__name__.lstrip('_')}", " ".join(f.__doc__.split()), f) for f in (
    _quiet_pkg_resources, _restricted_checkpoint_loading, _local_hrnet_imagenet_weights,
    _atomic_checkpoint_put,
    _save_then_remove_old, _resume_from_complete_checkpoint, _cpu_launcher, _cpu_ddp)]


def apply() -> List[str]:
    """Applies this module's shims if mmengine 0.10.7 is installed."""
    return apply_shims('mmengine', PATCHES, SHIMS)
