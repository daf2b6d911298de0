"""Fixtures of the tool tests."""
import pytest


@pytest.fixture(scope='module', autouse=True)
def one_thread(one_thread):
    """Every tool test runs in-process torch with one thread (tests/conftest.py says why)."""
    yield
