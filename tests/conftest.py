"""Fixtures shared by every test folder."""
import fcntl
import os

import pytest


def pytest_configure(config):
    """Each pytest-xdist worker (pytest.ini runs two) computes with one torch thread.

    Two workers of one thread fill the 2 cores; two workers of two threads each would
    oversubscribe them and spin (see ``one_thread``).  Tool subprocesses inherit it."""
    if os.environ.get('PYTEST_XDIST_WORKER'):
        import torch
        os.environ.setdefault('OMP_NUM_THREADS', '1')
        torch.set_num_threads(1)


@pytest.fixture(scope='module')
def one_thread():
    """torch with one intra-op thread for the module's tests.

    The tests run tiny inputs on 2 cores shared with other work: per-op overhead
    dominates, and 2 OpenMP threads spin waiting for each other (measured: a W18 forward
    ~20x slower, a 60-iteration training run 14x the CPU time of 1 thread).
    """
    import torch
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope='session')
def demo_root():
    """data/demo (or $HRNET_MM_DEMO_ROOT), built when it is missing or out of date.

    Built, never skipped: the setup always makes it, so a missing copy is a broken
    checkout to repair (a no-op when up to date; offline with the setup's cache)."""
    from hrnet_mm.devtools.demo_data import is_up_to_date, prepare_demo_data

    from helpers import DEMO_ROOT
    DEMO_ROOT.parent.mkdir(parents=True, exist_ok=True)
    # one builder at a time: the xdist workers each ask for it
    with open(DEMO_ROOT.parent / '.demo.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_up_to_date(DEMO_ROOT):
            prepare_demo_data(DEMO_ROOT)
    return DEMO_ROOT


@pytest.fixture(scope='session')
def seg_checkpoint(tmp_path_factory, demo_root):
    """A random-init checkpoint of the demo segmentation config (BN statistics of real
    images do not matter where it is used: the tests are that commands run end to end)."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS

    import hrnet_mm.plugin  # noqa: F401  (HRNet and the head registered in mmseg)
    from helpers import REPO
    cfg = Config.fromfile(str(REPO / 'configs/demo/fcn_hrnetv2-w18_demo.py'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    path = tmp_path_factory.mktemp('ckpt') / 'seg.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path
