"""Fixtures of the tool tests."""
import pytest


@pytest.fixture(scope='session')
def demo_root():
    """data/demo, built if missing (a no-op when present; the setup builds it)."""
    from hrnet_mm.datasets.demo_data import default_demo_root, is_up_to_date, \
        prepare_demo_data
    root = default_demo_root()
    if not is_up_to_date(root):
        root = prepare_demo_data()
    return root


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """In-process runs use one torch thread, for the reason tool_runner.run_tool gives."""
    import torch
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
