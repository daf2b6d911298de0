"""Deterministic crashes for the resume tests, imported into a training subprocess.

``tools/train.py ... --cfg-options custom_imports.imports=[hrnet_mm,crash_helpers]``
with this folder on ``PYTHONPATH``; the environment picks the crash:

* ``CRASH_AT_ITER=N`` -- SIGKILL right after training iteration N (1-based), before
  any checkpoint of that iteration: a kill mid-run.
* ``CRASH_DURING_SAVE=NAME`` -- SIGKILL after half of the bytes of the file whose name
  contains NAME (e.g. ``iter_4.pth``) reached the disk, whatever code writes it.

SIGKILL is what the OOM killer and preemption send: no cleanup, no atexit, no flush.
"""
import builtins
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


class _HalfThenDie:
    """A binary file whose first write stores half of the bytes, then kills the process."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        self._f.write(data[:len(data) // 2])
        self._f.flush()
        os.fsync(self._f.fileno())
        _die()

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def _install_save_crash(name: str) -> None:
    real_open = builtins.open

    def crashing_open(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if 'w' in mode and 'b' in mode and name in os.path.basename(str(file)):
            return _HalfThenDie(f)
        return f

    builtins.open = crashing_open


@HOOKS.register_module(force=True)
class CrashAfterIterHook(Hook):
    priority = 'HIGHEST'  # before the CheckpointHook could save this iteration

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.iteration:
            _die()


if os.environ.get('CRASH_DURING_SAVE'):
    _install_save_crash(os.environ['CRASH_DURING_SAVE'])
if os.environ.get('CRASH_AT_ITER'):
    # Registered on the first Runner built in this process.
    from mmengine.runner import Runner
    _register_hooks = Runner.register_hooks

    def register_hooks(self, default_hooks=None, custom_hooks=None):
        _register_hooks(self, default_hooks, custom_hooks)
        self.register_hook(CrashAfterIterHook(int(os.environ['CRASH_AT_ITER'])))

    Runner.register_hooks = register_hooks
