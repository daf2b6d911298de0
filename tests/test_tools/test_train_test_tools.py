"""tools/train.py and tools/test.py as a user runs them: real subprocesses on the demo.

One module-scoped run of ``tools/train.py`` on the demo detector (2 iterations at a
small size, validation at the end) writes two checkpoints; ``tools/test.py`` evaluates
the last one, and ``--resume`` without a value continues from it.  The command-line
semantics that need no training (``--amp``, ``--auto-scale-lr``, ``--resume``) are
checked on ``build_cfg`` directly.
"""
import math
import re

import pytest
import torch

from tool_runner import REPO, describe, load_tool, run_tool

DEMO_DET = 'configs/demo/faster-rcnn_hrnetv2p-w18_demo.py'
# The demo detector, made cheap: 128 px, batch 1, fewer proposals.  score_thr=0 keeps
# the detections of a 2-iteration model, so CocoMetric has something to score (with an
# empty result list it returns no metrics at all).
SHRINK = [
    'train_dataloader.batch_size=1',
    'train_dataloader.dataset.pipeline.2.scale=(128,128)',
    'val_dataloader.dataset.pipeline.1.scale=(128,128)',
    'test_dataloader.dataset.pipeline.1.scale=(128,128)',
    'model.train_cfg.rpn_proposal.max_per_img=64',
    'model.train_cfg.rcnn.sampler.num=32',
    'model.test_cfg.rpn.max_per_img=64',
    'model.test_cfg.rcnn.score_thr=0.0',
]
METRIC_LINE = re.compile(r'^(final|test) metrics: .*$', re.M)


def metrics_of(stdout: str, kind: str) -> dict:
    from hrnet_mm.engine.run_summary import parse_metrics
    lines = [m.group(0) for m in METRIC_LINE.finditer(stdout) if m.group(1) == kind]
    assert lines, f'no "{kind} metrics:" line in the output'
    return parse_metrics(lines[-1])


@pytest.fixture(scope='module')
def trained(tmp_path_factory, demo_root):
    """tools/train.py, 2 iterations, a checkpoint after each, validation at the end."""
    work_dir = tmp_path_factory.mktemp('train_demo_det')
    proc = run_tool(['tools/train.py', DEMO_DET, '--work-dir', work_dir, '--cfg-options',
                     *SHRINK, 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                     'default_hooks.checkpoint.interval=1',
                     'default_hooks.checkpoint.max_keep_ckpts=2',
                     'default_hooks.logger.interval=1'])
    assert proc.returncode == 0, describe(proc)
    return work_dir, proc


def test_every_phase_says_so_within_seconds(trained):
    """A line when the run is built, when the first iteration is done, and a bar over the
    validation batches (hrnet_mm.engine.hooks.ProgressHook), before mmengine's first log."""
    _, proc = trained
    out = proc.stdout
    phases = ['[hrnet_mm] run built: FasterRCNN', '[hrnet_mm] training from iteration 0 of 2',
              '[hrnet_mm] first iteration done (iteration 1)', '[hrnet_mm] validating: ']
    at = [out.find(p) for p in phases]
    assert all(i >= 0 for i in at) and at == sorted(at), (at, out[:3000])
    assert '] 4/4,' in out or '] 2/2,' in out or '] 1/1,' in out  # the progress bar ended


def test_short_runs_log_every_few_iterations():
    from mmengine.config import Config

    from hrnet_mm.cli import fit_logger_interval
    cfg = Config(dict(train_cfg=dict(max_iters=2), default_hooks=dict(logger=dict(interval=50))))
    fit_logger_interval(cfg)
    assert cfg.default_hooks.logger.interval == 1
    cfg = Config(dict(train_cfg=dict(max_iters=20), default_hooks=dict(logger=dict(interval=50))))
    fit_logger_interval(cfg)
    assert cfg.default_hooks.logger.interval == 4
    for train_cfg in (dict(max_iters=500), dict(max_epochs=2)):
        cfg = Config(dict(train_cfg=train_cfg, default_hooks=dict(logger=dict(interval=50))))
        fit_logger_interval(cfg)
        assert cfg.default_hooks.logger.interval == 50


def test_train_writes_checkpoints_and_prints_final_metrics(trained):
    work_dir, proc = trained
    assert (work_dir / 'iter_1.pth').is_file() and (work_dir / 'iter_2.pth').is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    metrics = metrics_of(proc.stdout, 'final')
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0, metrics
    assert 'coco/bbox_mAP_50' in metrics
    # The summary is the run's last word, after mmengine's own log.
    assert proc.stdout.rstrip().splitlines()[-1].startswith('final metrics: ')
    loss = [float(v) for v in re.findall(r'Iter\(train\) \[2/2\].*? loss: ([-\d.e+naif]+)',
                                         proc.stdout + proc.stderr)]
    assert loss and math.isfinite(loss[-1]), describe(proc)


def test_test_tool_evaluates_the_checkpoint(trained, tmp_path):
    work_dir, train_proc = trained
    proc = run_tool(['tools/test.py', DEMO_DET, work_dir / 'iter_2.pth',
                     '--work-dir', tmp_path, '--out', tmp_path / 'preds.pkl',
                     '--cfg-options', *SHRINK])
    assert proc.returncode == 0, describe(proc)
    metrics = metrics_of(proc.stdout, 'test')
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
    # Same weights, same data and pipeline as the final validation: the same number.
    assert metrics['coco/bbox_mAP'] == pytest.approx(
        metrics_of(train_proc.stdout, 'final')['coco/bbox_mAP'], abs=1e-3)
    import pickle
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 4  # the 4 demo images


def test_test_tool_missing_checkpoint(tmp_path, capsys):
    test_tool = load_tool('test')
    assert test_tool.main([str(REPO / DEMO_DET), str(tmp_path / 'nope.pth')]) == 2
    err = capsys.readouterr().err
    assert 'nope.pth' in err and 'does not exist' in err


def test_resume_without_value_continues_from_latest(trained, tmp_path):
    import shutil
    work_dir = tmp_path / 'work'
    shutil.copytree(trained[0], work_dir)
    proc = run_tool(['tools/train.py', DEMO_DET, '--work-dir', work_dir, '--resume',
                     '--cfg-options', *SHRINK, 'train_cfg.max_iters=3',
                     'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1',
                     'default_hooks.checkpoint.max_keep_ckpts=3',
                     'default_hooks.logger.interval=1'])
    assert proc.returncode == 0, describe(proc)
    log = proc.stdout + proc.stderr
    # mmengine names the checkpoint it resumed from: the latest, not iter_1.
    assert re.search(r'[Rr]esumed? .*iter_2\.pth|Load checkpoint from .*iter_2\.pth', log), \
        describe(proc)
    loads = [line for line in log.splitlines() if 'oad checkpoint' in line]
    assert not any('iter_1.pth' in line for line in loads), loads
    assert 'resumed epoch: 0, iter: 2' in log, describe(proc)
    # Exactly one more iteration: [3/3] is logged, [1/3] and [2/3] are not.
    assert 'Iter(train) [3/3]' in log and 'Iter(train) [1/3]' not in log
    assert (work_dir / 'iter_3.pth').is_file()


# -- command-line semantics on build_cfg ---------------------------------------------------

@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


def build(train_tool, *argv):
    return train_tool.build_cfg(train_tool.parse_args([str(REPO / DEMO_DET), *argv]))


def test_amp_with_an_accelerator_sets_amp_optim_wrapper(train_tool, monkeypatch):
    import hrnet_mm.cli
    monkeypatch.setattr(hrnet_mm.cli, 'has_accelerator', lambda: True)
    plain = build(train_tool)
    assert plain.optim_wrapper.type == 'OptimWrapper'
    cfg = build(train_tool, '--amp')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    # everything else of the optimiser is kept
    assert cfg.optim_wrapper.optimizer == plain.optim_wrapper.optimizer
    assert cfg.optim_wrapper.clip_grad == plain.optim_wrapper.clip_grad


def test_amp_without_an_accelerator_trains_in_bf16_on_the_cpu(train_tool, monkeypatch,
                                                              capsys):
    import hrnet_mm.cli
    monkeypatch.setattr(hrnet_mm.cli, 'has_accelerator', lambda: False)
    plain = build(train_tool)
    cfg = build(train_tool, '--amp')
    assert cfg.optim_wrapper.type == 'hrnet_mm.CPUAutocastOptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper
    assert cfg.optim_wrapper.optimizer == plain.optim_wrapper.optimizer
    assert 'bf16 autocast on the CPU' in capsys.readouterr().err
    monkeypatch.setattr(hrnet_mm.cli, 'cpu_has_bf16', lambda: True)
    assert train_tool.amp_device_error(cfg) is None
    # On a CPU without bf16 instructions it would only be slower: refused up front.
    monkeypatch.setattr(hrnet_mm.cli, 'cpu_has_bf16', lambda: False)
    assert 'no bf16 instructions' not in (train_tool.amp_device_error(plain) or '')
    assert 'Train without --amp' in train_tool.amp_device_error(cfg)
    assert train_tool.main([str(REPO / DEMO_DET), '--amp']) == 2
    assert 'error: bf16 autocast training on the CPU' in capsys.readouterr().err


def test_compile_asks_mmengine_to_compile_the_training_step(train_tool):
    assert build(train_tool).get('compile') in (None, False)
    assert build(train_tool, '--compile').compile is True  # Runner._maybe_compile's switch


def test_amp_optim_wrapper_in_a_config_without_accelerator(train_tool, monkeypatch, capsys):
    """mmengine's AmpOptimWrapper asserts a GPU/NPU/MLU/MUSA; the tool says so up front and
    names the CPU way."""
    import hrnet_mm.cli
    from mmengine.optim import AmpOptimWrapper
    if not hrnet_mm.cli.has_accelerator():
        # What happens without the check: an assertion deep inside the runner.
        with pytest.raises(AssertionError, match='only available'):
            AmpOptimWrapper(optimizer=torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), 0.1))
    monkeypatch.setattr(hrnet_mm.cli, 'has_accelerator', lambda: False)
    argv = ['--cfg-options', 'optim_wrapper.type=AmpOptimWrapper']
    cfg = build(train_tool, *argv)
    assert "--amp trains with bf16 autocast (optim_wrapper.type='hrnet_mm." \
        in train_tool.amp_device_error(cfg)
    assert train_tool.main([str(REPO / DEMO_DET), *argv]) == 2
    err = capsys.readouterr().err
    assert 'error: AMP training' in err and 'without --amp' in err


def test_amp_on_the_cpu_trains(train_tool, tmp_path, demo_root, monkeypatch, capsys):
    """tools/train.py --amp without a GPU: two bf16 iterations of the demo detector through
    mmengine's Runner, finite losses, a checkpoint.  In-process, so that it runs on any CPU:
    the check for bf16 instructions is about speed, and is lifted here."""
    import hrnet_mm.cli
    monkeypatch.setattr(hrnet_mm.cli, 'has_accelerator', lambda: False)
    monkeypatch.setattr(hrnet_mm.cli, 'cpu_has_bf16', lambda: True)
    from hrnet_mm.engine import optim_wrapper
    monkeypatch.setattr(optim_wrapper, 'cpu_has_bf16', lambda: True)
    rc = train_tool.main([str(REPO / DEMO_DET), '--amp', '--work-dir', str(tmp_path),
                          '--cfg-options', *SHRINK, 'train_cfg.max_iters=2',
                          'train_cfg.val_interval=100', 'default_hooks.logger.interval=1'])
    out = capsys.readouterr()
    assert rc == 0, out.err[-3000:]
    assert 'bf16 autocast on the CPU' in out.err
    assert (tmp_path / 'iter_2.pth').exists()
    logs = (tmp_path / sorted(p.name for p in tmp_path.iterdir() if p.is_dir())[-1])
    text = '\n'.join(f.read_text() for f in logs.rglob('*.log'))
    losses = [float(v) for v in re.findall(r'Iter\(train\) \[\s*\d+/2\].*? loss: ([\d.e+-]+)',
                                            text)]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses), text[-2000:]


def test_auto_scale_lr(train_tool, tmp_path):
    assert build(train_tool).auto_scale_lr == dict(enable=False, base_batch_size=2)
    cfg = build(train_tool, '--auto-scale-lr', '--work-dir', str(tmp_path),
                '--cfg-options', 'train_dataloader.batch_size=4')
    assert cfg.auto_scale_lr.enable is True
    # mmengine's Runner does the scaling: lr x (1 process x 4) / 2
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope('mmdet')
    runner = Runner.from_cfg(cfg)
    optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(optim_wrapper, runner.auto_scale_lr)
    assert optim_wrapper.optimizer.param_groups[0]['lr'] == pytest.approx(4e-4)


def test_auto_scale_lr_needs_base_batch_size(train_tool, tmp_path):
    cfg_file = tmp_path / 'no_base.py'
    cfg_file.write_text(f"_base_ = '{(REPO / DEMO_DET).as_posix()}'\n"
                        "auto_scale_lr = dict(_delete_=True, enable=False)\n")
    with pytest.raises(ValueError, match='base_batch_size'):
        train_tool.build_cfg(train_tool.parse_args([str(cfg_file), '--auto-scale-lr']))


def test_resume_options(train_tool):
    cfg = build(train_tool)
    assert not cfg.get('resume', False)
    cfg = build(train_tool, '--resume')
    assert cfg.resume is True and cfg.load_from is None  # latest in work_dir
    cfg = build(train_tool, '--resume', 'some/iter_4.pth')
    assert cfg.resume is True and cfg.load_from == 'some/iter_4.pth'


def test_work_dir_default_and_override(train_tool):
    assert build(train_tool).work_dir == './work_dirs/faster-rcnn_hrnetv2p-w18_demo'
    assert build(train_tool, '--work-dir', 'elsewhere').work_dir == 'elsewhere'
