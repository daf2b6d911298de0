"""Reading and writing checkpoints safely: no code run from a downloaded file, no
half-written file under a checkpoint's name, resume that never picks a broken one.

Plain functions: nothing here patches anything.  ``hrnet_mm.compat.mmengine`` installs
them in mmengine 0.10.7 where its own versions fall short (each shim says why).
"""
import _compat_pickle
import glob
import os
import os.path as osp
import pickle
import re
import shutil
import zipfile

import torch
from mmengine.logging import print_log

from .errors import CheckpointLoadError, CheckpointNotFoundError, UntrustedCheckpointError

TRUST_ENV = 'HRNET_MM_TRUST_CHECKPOINTS'
TRUST_HINT = (f'--trust-checkpoint (tools/train.py, test.py, demo.py, convert_checkpoint.py) '
              f'or {TRUST_ENV}=1')



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

    ``torch.load(weights_only=True)`` (torch >= 2.6) rejects the message hub, history
    buffers and numpy scalars that every mmengine training checkpoint holds, and
    ``weights_only=False`` would run whatever a downloaded file's pickle says.  Instead the
    file is unpickled with only torch's safe types and exactly those mmengine objects allowed
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


# -- checkpoints survive a kill at any moment ---------------------------------------

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
    """The checkpoint ``--resume`` should load from ``path`` (a work_dir), or None.

    The one ``last_checkpoint`` names if it is complete; otherwise the newest complete
    ``iter_*/epoch_*.pth`` in the work_dir, with a warning (a run killed while saving
    leaves a deleted or cut-short file named there, or an empty pointer)."""
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
