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
def one_thread(one_thread):
    """Every tool test runs in-process torch with one thread (tests/conftest.py says why)."""
    yield
