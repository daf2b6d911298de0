"""Compatibility shims for the OpenMMLab toolboxes on current torch and numpy.

Also what training needs to survive a kill at any moment (atomic checkpoints, resume
that never picks a half-written one) and to run ``--launcher pytorch`` on CPU processes.

Applied once, on ``import hrnet_mm``.  Nothing in site-packages is edited: each shim
re-registers or wraps one entry point, and each names the upstream problem it works
around.  Remove a shim when the pinned upstream version fixes it.
"""
import _compat_pickle
import glob
import os
import os.path as osp
import pickle
import re
import shutil
import warnings
import zipfile

import mmengine
import mmengine.dist.utils as dist_utils
import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel
from mmengine.runner.checkpoint import CheckpointLoader


# Shim 0 -- mmengine 0.10.7 ``utils/package_utils.py`` imports ``pkg_resources`` to find
# installed packages (``mmdet::`` config bases, registering a toolbox), and setuptools >= 81
# (the mmcv build pins < 82 for that module) warns on every such import: two identical
# UserWarnings opened every command.  Only that message, only for mmengine 0.10.7.
if mmengine.__version__ == '0.10.7':
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API',
                            category=UserWarning)


class CheckpointLoadError(RuntimeError):
    """A checkpoint file exists but cannot be read."""


class CheckpointNotFoundError(FileNotFoundError):
    """A checkpoint the run asked for is not there."""


TRUST_ENV = 'HRNET_MM_TRUST_CHECKPOINTS'
TRUST_HINT = (f'--trust-checkpoint (tools/train.py, test.py, demo.py, convert_checkpoint.py) '
              f'or {TRUST_ENV}=1')


class UntrustedCheckpointError(CheckpointLoadError):
    """A checkpoint needs objects beyond tensors and mmengine's known training state."""


def _mmengine_globals() -> dict:
    """What an mmengine training checkpoint holds beside what torch itself allows: the
    message hub's ``HistoryBuffer`` and the numpy arrays, scalars and dtypes in it."""
    import numpy
    from mmengine.logging.history_buffer import HistoryBuffer
    core = getattr(numpy, '_core', None) or numpy.core  # numpy 2 / numpy 1
    objs = [HistoryBuffer, core.multiarray._reconstruct, core.multiarray.scalar,
            numpy.ndarray, numpy.dtype]
    objs += [type(numpy.dtype(c)) for c in '?bhilqBHILQefdgFDGSUVMm']  # not 'O': objects
    allowed = {f'{o.__module__}.{o.__qualname__}': o for o in objs}
    allowed['builtins.bytes'] = bytes  # mmpose's dataset meta (protocol 2 writes bytes so)
    # numpy 2 pickles under numpy._core, numpy 1 under numpy.core: accept both spellings.
    for name in list(allowed):
        if name.startswith('numpy._core.'):
            allowed['numpy.core.' + name[len('numpy._core.'):]] = allowed[name]
    return allowed


def _history_buffer_getattr(obj, name):
    """``getattr`` as mmengine's pickles use it, and no more: a ``HistoryBuffer`` stores its
    statistics methods, pickled as ``getattr(HistoryBuffer, 'mean')``.  A general
    ``getattr`` would let a pickle reach any module's functions, so only public
    attributes of that one class are given."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_') and name in vars(HistoryBuffer):
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r}) is not allowed')


class _RestrictedUnpickler(pickle.Unpickler):
    """Python's documented way to unpickle untrusted data: only allow-listed globals.

    Our own instead of ``torch.load(weights_only=True)`` with ``safe_globals``: that one
    cannot allow the narrow ``getattr`` every mmengine checkpoint's history buffers need,
    only all of ``getattr`` (with which a pickle reaches ``os.system``)."""

    allowed: dict = {}

    def find_class(self, module, name):
        # Protocol-2 pickles name Python 2 modules (__builtin__, copy_reg); map them as
        # pickle's own find_class does.
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if module == 'builtins' and name == 'getattr':
            return _history_buffer_getattr
        found = self.allowed.get(f'{module}.{name}')
        if found is None:
            raise pickle.UnpicklingError(f'Unsupported global: GLOBAL {module}.{name}')
        return found


class _RestrictedPickle:
    """A ``pickle_module`` for ``torch.load`` whose Unpickler only builds allowed types."""
    Unpickler = _RestrictedUnpickler
    UnpicklingError = pickle.UnpicklingError

    @staticmethod
    def load(file, **kwargs):
        return _RestrictedUnpickler(file, **kwargs).load()


def _allowed_globals() -> dict:
    import torch._weights_only_unpickler as wo  # torch's own allow-list (tensors, dtypes...)
    allowed = dict(wo._get_allowed_globals())
    for obj in torch.serialization.get_safe_globals():  # what the user allowed explicitly
        obj = obj[0] if isinstance(obj, tuple) else obj
        allowed[f'{obj.__module__}.{obj.__qualname__}'] = obj
    allowed.update(_mmengine_globals())
    return allowed


def torch_load_trusted(filename: str, map_location=None):
    """Loads a checkpoint the user asked for without running code from it.

    Shim 1 -- mmengine 0.10.7 ``load_from_local`` calls ``torch.load`` without
    ``weights_only``, and torch >= 2.6 then rejects the message hub, history buffers and
    numpy scalars that every mmengine training checkpoint holds (``--resume`` and
    ``load_from`` fail with an UnpicklingError).  Loading them with ``weights_only=False``
    would run whatever a downloaded file's pickle says.  Instead the file is unpickled with
    only torch's safe types and exactly those mmengine objects allowed
    (:class:`_RestrictedUnpickler`); a file that needs anything else is refused with
    :class:`UntrustedCheckpointError`, naming the object and the explicit opt-in
    (``--trust-checkpoint`` / ``HRNET_MM_TRUST_CHECKPOINTS=1``).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointNotFoundError(f'checkpoint {filename!r} does not exist; check the path '
                                '(load_from / --resume / init_cfg.checkpoint)')
    trusted = os.environ.get(TRUST_ENV, '') not in ('', '0')
    try:
        if trusted:
            return torch.load(filename, map_location=map_location, weights_only=False)
        _RestrictedUnpickler.allowed = _allowed_globals()
        return torch.load(filename, map_location=map_location, weights_only=False,
                          pickle_module=_RestrictedPickle)
    except pickle.UnpicklingError as exc:
        found = re.search(r'Unsupported global: GLOBAL ([\w.]+)|(getattr\(.*\)) is not', str(exc))
        if found and not trusted:
            raise UntrustedCheckpointError(
                f'checkpoint {filename!r} needs {found.group(1) or found.group(2)} to load, '
                "beyond tensors and mmengine's training state: loading it would run code from "
                f'the file. If you trust where it comes from, pass {TRUST_HINT}.') from exc
        raise _corrupt(filename, exc) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as exc:
        raise _corrupt(filename, exc) from exc


def _corrupt(filename: str, exc: Exception) -> CheckpointLoadError:
    return CheckpointLoadError(
        f'checkpoint {filename!r} is truncated or corrupt ({type(exc).__name__}: {exc}). '
        'It was probably written by a run that was killed while saving: resume from an '
        'earlier checkpoint in the same work_dir, or re-download the file.')


def _load_from_local(filename, map_location):
    return torch_load_trusted(filename, map_location)


CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)


# -- checkpoints survive a kill at any moment -------------------------------------------

def _tmp_name(filepath: str) -> str:
    return f'{filepath}.tmp-{os.getpid()}'


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def atomic_write_bytes(data: bytes, filepath: str) -> None:
    """Writes ``filepath`` so that it holds either its old content or all of ``data``.

    The data goes to ``<file>.tmp-<pid>`` first; a failed write (a full disk) removes that
    file again and says how much room it needed.  Leftover temp files of *dead* writers
    are removed; another live process's file, still being written, is left alone.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    tmp = _tmp_name(filepath)
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        try:
            os.remove(tmp)
        except OSError:
            pass
        free = shutil.disk_usage(folder).free
        raise OSError(exc.errno, f'could not write {filepath} ({exc.strerror}): it needs '
                      f'{len(data) / 2**20:.1f} MiB and {free / 2**20:.1f} MiB are free in '
                      f'{folder}; the partial temporary file was removed') from exc
    os.replace(tmp, filepath)
    for stale in glob.glob(glob.escape(filepath) + '.tmp-*'):
        pid = stale.rsplit('.tmp-', 1)[1]
        if pid.isdigit() and pid_alive(int(pid)):
            continue
        try:
            os.remove(stale)
        except OSError:
            pass


def _atomic_put(self, obj: bytes, filepath) -> None:
    """Shim 2 -- mmengine 0.10.7 ``save_checkpoint`` hands the serialised checkpoint to
    ``LocalBackend.put``, which opens the final ``iter_N.pth`` with ``'wb'`` and writes in
    place: a run killed mid-save (OOM killer, preemption, Ctrl-C twice) leaves a truncated
    checkpoint under the real name.  Writing a temporary file and ``os.replace``-ing it
    makes every local ``put`` all-or-nothing."""
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


_upstream_save_checkpoint_with_step = CheckpointHook._save_checkpoint_with_step


def _save_then_remove_old(self, runner, step, meta):
    """Shim 3 -- mmengine 0.10.7 ``CheckpointHook._save_checkpoint_with_step`` deletes the
    checkpoints beyond ``max_keep_ckpts`` *before* writing the new one.  A run killed
    during that write is left with no complete checkpoint at all (with
    ``max_keep_ckpts=1`` the only one was just deleted) and ``last_checkpoint`` naming a
    deleted file.  The old checkpoints are now removed only after the new one is saved."""
    backend = self.file_backend
    deferred = _DeferredRemoval(backend)
    self.file_backend = deferred
    try:
        _upstream_save_checkpoint_with_step(self, runner, step, meta)
    finally:
        self.file_backend = backend
    deferred.flush()


CheckpointHook._save_checkpoint_with_step = _save_then_remove_old

_CKPT_NAME = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def is_complete_checkpoint(path: str) -> bool:
    """False for a missing, empty, truncated or non-checkpoint file (cheap: reads the tail).

    ``torch.save`` writes a zip archive whose central directory is at the very end, so a
    file cut short anywhere is not a valid zip.  Legacy (torch < 1.6) checkpoints are
    pickles, accepted on their first byte.
    """
    if not osp.isfile(path):
        return False
    with open(path, 'rb') as f:
        head = f.read(4)
    if head.startswith(b'PK'):
        return zipfile.is_zipfile(path)
    return head.startswith(b'\x80')  # pickle protocol >= 2


def find_latest_checkpoint(path: str):
    """Shim 4 -- mmengine 0.10.7 ``find_latest_checkpoint`` returns whatever the
    ``last_checkpoint`` file names, even a checkpoint that was deleted or cut short, or an
    empty string when that file itself was being rewritten at the kill; ``--resume`` then
    fails.  Here the named checkpoint is used only if it is complete; otherwise the
    newest complete ``iter_*/epoch_*.pth`` in the work_dir is resumed, with a warning."""
    pointer = osp.join(path, 'last_checkpoint')
    named = None
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip() or None
    if named and ('://' in named or is_complete_checkpoint(named)):
        return named
    numbered = []
    for name in os.listdir(path) if osp.isdir(path) else []:
        match = _CKPT_NAME.match(name)
        if match:
            numbered.append((int(match.group(1)), osp.join(path, name)))
    for _, candidate in sorted(numbered, reverse=True):
        if is_complete_checkpoint(candidate):
            if named or osp.isfile(pointer):
                print_log(f'{pointer} names {named!r}, which is missing or incomplete (a run '
                          f'killed while saving?); resuming from {candidate} instead.',
                          logger='current', level=30)
            return candidate
    if named is None:
        print_log('Did not find last_checkpoint to be resumed.', logger='current')
    return named  # None: start from scratch; a broken name: loading says what is wrong


def _install_find_latest_checkpoint():
    import mmengine.runner as runner_pkg
    import mmengine.runner.checkpoint as checkpoint_mod
    import mmengine.runner.runner as runner_mod
    for module in (runner_pkg, checkpoint_mod, runner_mod):
        module.find_latest_checkpoint = find_latest_checkpoint


_install_find_latest_checkpoint()


# -- distributed training on machines without CUDA -------------------------------------
class DistBackendError(RuntimeError):
    """The configured torch.distributed backend cannot run on this machine."""


def check_dist_backend(backend: str) -> None:
    """Raises :class:`DistBackendError` for NCCL on a machine without CUDA."""
    if str(backend).lower() == 'nccl' and not torch.cuda.is_available():
        raise DistBackendError(
            "env_cfg.dist_cfg.backend='nccl' needs CUDA GPUs and this machine has none. "
            'To train/test on CPU processes add: --cfg-options '
            'env_cfg.dist_cfg.backend=gloo')


_upstream_init_dist_pytorch = dist_utils._init_dist_pytorch


def _init_dist_pytorch(backend, init_backend='torch', **kwargs) -> None:
    """Shim 5 -- mmengine 0.10.7 ``_init_dist_pytorch`` calls ``torch.cuda.set_device``
    unconditionally, so ``--launcher pytorch`` dies with "Found no NVIDIA driver" on a
    CPU-only machine even with the gloo backend.  Without CUDA, the process group is
    created directly (and NCCL is refused with the fix)."""
    if torch.cuda.is_available() or init_backend != 'torch':
        return _upstream_init_dist_pytorch(backend, init_backend=init_backend, **kwargs)
    check_dist_backend(backend)
    torch.distributed.init_process_group(backend=backend, **kwargs)


dist_utils._init_dist_pytorch = _init_dist_pytorch

_upstream_ddp_init = MMDistributedDataParallel.__init__


def _ddp_init(self, module, detect_anomalous_params: bool = False, **kwargs):
    """Shim 6 -- mmengine 0.10.7 ``Runner.wrap_model`` always passes
    ``device_ids=[LOCAL_RANK]``; torch's DDP rejects device_ids for a module on the CPU
    ("device_ids ... only work with single-device/multiple-device GPU modules").  For a
    CPU module they are dropped, which is what DDP expects there."""
    if kwargs.get('device_ids') and not any(p.is_cuda for p in module.parameters()):
        kwargs['device_ids'] = None
        kwargs['output_device'] = None
    _upstream_ddp_init(self, module, detect_anomalous_params=detect_anomalous_params,
                       **kwargs)


MMDistributedDataParallel.__init__ = _ddp_init


# -- ignore_empty also skips images that cannot be decoded -----------------------------

_upstream_load_image = LoadImageFromFile.transform


def _load_image_or_skip(self, results):
    """Shim 7 -- mmcv 2.1.0 ``LoadImageFromFile(ignore_empty=True)`` returns None (so the
    dataset draws another sample) only when reading raises; a truncated or corrupt file
    that OpenCV decodes to None still hits ``assert img is not None`` and kills the run.
    With ``ignore_empty`` that case is skipped too, as the option promises."""
    try:
        return _upstream_load_image(self, results)
    except AssertionError as exc:
        if self.ignore_empty and str(exc).startswith('failed to load image'):
            return None
        raise


LoadImageFromFile.transform = _load_image_or_skip


# -- segmentation maps one pixel high or wide ------------------------------------------
def _install_seg_map_shape_fix():
    try:
        from mmseg.datasets.transforms import LoadAnnotations
    except ImportError:
        return  # mmseg is optional
    upstream = LoadAnnotations._load_seg_map

    def _load_seg_map_2d(self, results):
        """Shim 8 -- mmseg 1.2.2 ``LoadAnnotations._load_seg_map`` ``squeeze()``-s the
        decoded map, so a map 1 px high or wide loses a dimension (1x1 becomes 0-d) and
        the next ``Resize`` fails with "not enough values to unpack".  The map gets its
        image's 2-D shape back."""
        upstream(self, results)
        seg, shape = results['gt_seg_map'], results.get('ori_shape')
        if seg.ndim != 2 and shape is not None and seg.size == shape[0] * shape[1]:
            results['gt_seg_map'] = seg.reshape(shape[:2])

    LoadAnnotations._load_seg_map = _load_seg_map_2d


_install_seg_map_shape_fix()


# -- drawing predictions of 1-pixel images ---------------------------------------------
def _install_seg_visualizer_fix():
    try:
        from mmseg.visualization import SegLocalVisualizer
    except ImportError:
        return  # mmseg is optional
    upstream = SegLocalVisualizer._draw_sem_seg

    def _draw_sem_seg_numpy(self, image, sem_seg, *args, **kwargs):
        """Shim 9 -- mmseg 1.2.2 ``SegLocalVisualizer._draw_sem_seg`` indexes a numpy mask
        with a torch bool tensor; numpy reads a one-element tensor as the integer 0 or 1,
        so drawing a 1-pixel image fails with "IndexError: index 1 is out of bounds".
        Drawing from a numpy copy of the map is the same for every other size."""
        return upstream(self, image, sem_seg.cpu().numpy(), *args, **kwargs)

    def _get_center_loc_fast(self, mask):
        """Shim 10 -- mmseg 1.2.2 ``SegLocalVisualizer._get_center_loc`` sorts every pixel
        coordinate of a class in Python to place its label (40 s for one class of a 12 Mpx
        photo).  ``np.argwhere`` already returns them in that (row, column) order, so the
        same point is found without the sort."""
        loc = np.argwhere(mask == 1)
        rows, counts = np.unique(loc[:, 0], return_counts=True)
        row = loc[loc[:, 0] == rows[counts.argmax()]]
        y, x = row[len(row) // 2]
        return np.array([x, y])

    _get_center_loc_fast.upstream = SegLocalVisualizer._get_center_loc  # for the tests
    SegLocalVisualizer._draw_sem_seg = _draw_sem_seg_numpy
    SegLocalVisualizer._get_center_loc = _get_center_loc_fast


_install_seg_visualizer_fix()
