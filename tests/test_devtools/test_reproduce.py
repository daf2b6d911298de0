"""tools/reproduce.py on the demo data: trains a demo config (2 iterations), measures it
through tools/test.py's code path, and agrees with what tools/test.py prints; a second run
skips it; a missing checkpoint or data root is reported per config with the fix."""
import contextlib
import io
import json

import pytest

from helpers import REPO
from hrnet_mm.devtools import reproduce as rp
from hrnet_mm.engine.run_summary import TEST_PREFIX, parse_metrics
from tool_runner import load_tool

SEG = 'fcn_hrnetv2-w18_demo'  # has a tta_model: measured with --tta, as its paper-style row
SHORT = dict(train_cfg=dict(max_iters=2, val_interval=2),
             default_hooks=dict(checkpoint=dict(interval=2)))


def options(tmp_path, **kwargs):
    return rp.Options(**{**dict(configs=[SEG], root=str(REPO / 'configs'),
                                out_dir=str(tmp_path / 'out')), **kwargs})


@pytest.fixture(scope='module')
def trained(tmp_path_factory, demo_root, one_thread):
    tmp = tmp_path_factory.mktemp('reproduce')
    import os
    cwd = os.getcwd()
    os.chdir(REPO)  # the demo configs name data/demo relative to the repository
    try:
        results = rp.reproduce(options(tmp, train=True, cfg_options=SHORT))
    finally:
        os.chdir(cwd)
    return tmp, results


def test_train_then_measure_equals_tools_test(trained, monkeypatch, capsys):
    tmp, results = trained
    (row, ) = results
    assert row.status == 'ok', row.error
    assert row.tta and row.metric == 'mIoU' and row.measured == round(row.metrics['mIoU'], 4)
    assert row.checkpoint.endswith('iter_2.pth') and len(row.sha256) == 64
    out = tmp / 'out'
    assert {'results.json', 'results.md', 'results.png'} <= {p.name for p in out.iterdir()}
    assert f'| `configs/demo/{SEG}.py` |' in (out / 'results.md').read_text()

    monkeypatch.chdir(REPO)
    test_tool = load_tool('test')
    assert test_tool.main([str(REPO / 'configs' / 'demo' / f'{SEG}.py'), row.checkpoint,
                           '--tta', '--work-dir', str(tmp / 'test_tool')]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(TEST_PREFIX)][-1]
    printed = parse_metrics(line)
    assert printed == {k: round(v, 4) for k, v in row.metrics.items()}, (printed, row.metrics)


def test_a_second_run_skips_what_it_measured(trained, monkeypatch):
    tmp, (first, ) = trained
    from hrnet_mm import cli

    def must_not_run(*args, **kwargs):
        raise AssertionError('evaluated again')

    monkeypatch.setattr(cli, 'evaluate', must_not_run)
    monkeypatch.chdir(REPO)
    (again, ) = rp.reproduce(options(tmp, checkpoints=str(tmp / 'out' / 'work_dirs')))
    assert again.status == 'ok' and again.measured == first.measured
    assert again.sha256 == first.sha256
    saved = json.loads((tmp / 'out' / 'results.json').read_text())
    assert [r['config'] for r in saved['results']] == [first.config]


def test_missing_checkpoint_and_data_root_are_reported_with_the_fix(trained, tmp_path,
                                                                    monkeypatch):
    tmp, _ = trained
    monkeypatch.chdir(REPO)
    (row, ) = rp.reproduce(options(tmp_path, checkpoints=str(tmp_path / 'empty')))
    assert row.status == 'missing'
    assert f'Put it at {tmp_path / "empty" / SEG}.pth or name it in --mapping' in row.error
    (row, ) = rp.reproduce(options(tmp_path, checkpoints=str(tmp / 'out' / 'work_dirs'),
                                   data_roots={'demo': str(tmp_path / 'nowhere')}))
    assert row.status == 'missing', row.error
    assert str(tmp_path / 'nowhere' / 'seg') in row.error and 'prepare' in row.error


def test_the_command_line(tmp_path, capsys, monkeypatch):
    tool = load_tool('reproduce')
    monkeypatch.chdir(REPO)
    assert tool.main(['--configs', 'no-such-config', '--checkpoints', str(tmp_path)]) == 2
    assert 'no config under configs matches' in capsys.readouterr().err
    assert tool.main(['--configs', SEG]) == 2
    assert 'give --checkpoints DIR' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        with contextlib.redirect_stderr(io.StringIO()):
            tool.parse_args(['--data-root', 'coco'])
