"""A hook option its hook does not take is refused before the run, with the nearest name
(``max_keep_ckpt=1`` used to fail at the first checkpoint save, after all the training
before it)."""
import pytest
from mmengine.config import Config

from helpers import REPO
from hrnet_mm.apis import init_toolbox
from hrnet_mm.errors import ConfigError
from hrnet_mm.preflight import check_hooks, hook_problems
from tool_runner import load_tool

DEMO_DET = REPO / 'configs' / 'demo' / 'faster-rcnn_hrnetv2p-w18-small_demo-quick.py'


@pytest.fixture
def cfg():
    cfg = Config.fromfile(str(DEMO_DET))
    init_toolbox(cfg)
    return cfg


def test_the_configs_hooks_pass(cfg):
    assert hook_problems(cfg) == []
    cfg.default_hooks.checkpoint['save_optimizer'] = False  # a real option
    cfg.default_hooks.checkpoint['filename_tmpl'] = 'iter_{}.pth'
    assert hook_problems(cfg) == []


def test_a_checkpoint_hook_typo_is_named_with_the_fix(cfg):
    cfg.default_hooks.checkpoint['max_keep_ckpt'] = 1
    with pytest.raises(ConfigError, match=r'default_hooks\.checkpoint: CheckpointHook does not '
                       r'take max_keep_ckpt \(did you mean max_keep_ckpts\?\); it would fail '
                       r'at its first save, after the training before it'):
        check_hooks(cfg)


def test_other_hooks_and_unknown_types(cfg):
    cfg.default_hooks.logger['intervall'] = 5
    cfg.custom_hooks = [dict(type='NoSuchHook')]
    problems = hook_problems(cfg)
    assert any('LoggerHook does not take intervall (did you mean interval?)' in p
               for p in problems), problems
    assert any("custom_hooks.0: there is no hook type 'NoSuchHook'" in p for p in problems)


def test_train_refuses_before_training(tmp_path, capsys, monkeypatch):
    from hrnet_mm import cli
    monkeypatch.setattr(cli, '_run_training', lambda cfg: pytest.fail('trained'))
    rc = load_tool('train').main([str(DEMO_DET), '--work-dir', str(tmp_path), '--cfg-options',
                                  'default_hooks.checkpoint.max_keep_ckpt=1'])
    assert rc == 2
    assert 'did you mean max_keep_ckpts?' in capsys.readouterr().err
