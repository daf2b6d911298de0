"""Fixtures shared by every test folder."""
import pytest


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
    """data/demo, built if missing (a no-op when present; the setup builds it)."""
    from hrnet_mm.datasets.demo_data import default_demo_root, is_up_to_date, \
        prepare_demo_data
    root = default_demo_root()
    if not is_up_to_date(root):
        root = prepare_demo_data()
    return root
