"""A frozen gloo worker ends a CPU distributed run in minutes, not torch's 30, with a
message that names the setting."""
import datetime

import pytest
import torch

import hrnet_mm
from hrnet_mm import cli


@pytest.fixture
def captured(monkeypatch):
    hrnet_mm.register_all()
    import mmengine.dist.utils as dist_utils
    seen = {}
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.distributed, 'init_process_group',
                        lambda backend, **kwargs: seen.update(kwargs, backend=backend))
    return dist_utils._init_dist_pytorch, seen


def test_the_default_is_minutes(captured, monkeypatch):
    init, seen = captured
    monkeypatch.delenv('HRNET_MM_DIST_TIMEOUT', raising=False)
    init('gloo')
    assert seen == dict(backend='gloo', timeout=datetime.timedelta(seconds=300))


def test_the_environment_and_the_config_set_it(captured, monkeypatch):
    init, seen = captured
    monkeypatch.setenv('HRNET_MM_DIST_TIMEOUT', '42')
    init('gloo')
    assert seen['timeout'] == datetime.timedelta(seconds=42)
    init('gloo', timeout=datetime.timedelta(seconds=7))  # env_cfg.dist_cfg.timeout=7
    assert seen['timeout'] == datetime.timedelta(seconds=7)


def test_a_timeout_during_the_run_says_what_happened():
    error = RuntimeError('[../third_party/gloo/gloo/transport/tcp/unbound_buffer.cc:81] Timed '
                         'out waiting 300000ms for recv operation to complete')
    with pytest.raises(cli.ToolError, match=r'a distributed worker did not answer in time .*'
                       r'env_cfg\.dist_cfg\.timeout=SECONDS') as info:
        with cli.running():
            raise error
    assert info.value.code == 1
    with pytest.raises(ValueError, match='unrelated'):  # other errors pass unchanged
        with cli.running():
            raise ValueError('unrelated')
