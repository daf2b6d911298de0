"""The training commands at the top of README.md, read from the README itself.

* the main job (the quick demo detector) runs as written in test_overfit_demo_detector.py;
* the paper config ``configs/faster_rcnn_hrnetv2p_w32_2x.py`` with the README's demo-data
  override: in-process, the override points every dataset the run opens at
  ``data/demo/det`` and keeps the W32 paper model; as a real subprocess, the exact command
  plus a few shrinking ``--cfg-options`` trains one iteration, validates and prints its
  metrics.
"""
import re
import shlex

from tool_runner import REPO, describe, load_tool, run_tool

W32_CONFIG = 'configs/faster_rcnn_hrnetv2p_w32_2x.py'
MAIN_JOB = ('.venv/bin/python tools/train.py '
            'configs/demo/faster-rcnn_hrnetv2p-w18-small_demo-quick.py')
DEMO_CLASSES = ('bottle', 'bus', 'car', 'chair', 'diningtable', 'person', 'sofa')


def readme_commands():
    """Every command of the README's ```bash blocks before its first section."""
    text = (REPO / 'README.md').read_text(encoding='utf-8')
    top = text.split('\n## ', 1)[0]
    commands = []
    for block in re.findall(r'```bash\n(.*?)```', top, re.S):
        for line in block.replace('\\\n', ' ').splitlines():
            line = line.split(' #', 1)[0].strip()
            if line:
                commands.append(line)
    return commands


def w32_command():
    found = [c for c in readme_commands() if W32_CONFIG in c]
    assert len(found) == 1, 'README.md must show one command training ' + W32_CONFIG
    argv = shlex.split(found[0])
    assert argv[:3] == ['.venv/bin/python', 'tools/train.py', W32_CONFIG]
    return argv[1:]  # without the interpreter


def test_main_job_command_is_in_the_readme():
    assert MAIN_JOB in readme_commands()


def test_w32_override_points_the_paper_config_at_the_demo(demo_root, monkeypatch):
    from hrnet_mm.preflight import check_data_roots
    train = load_tool('train')
    args = train.parse_args(w32_command()[1:])
    cfg = train.build_cfg(args)
    monkeypatch.chdir(REPO)
    check_data_roots(cfg, 'train')  # everything the run opens is there
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        assert loader.dataset.data_root == 'data/demo/det/'
        assert tuple(loader.dataset.metainfo.classes) == DEMO_CLASSES
    assert cfg.val_evaluator.ann_file == 'data/demo/det/annotations/instances_val.json'
    # still the paper's model and recipe, apart from what the override says
    assert list(cfg.model.backbone.extra.stage4.num_channels) == [32, 64, 128, 256]
    assert cfg.model.backbone.init_cfg is None and cfg.model.backbone.norm_eval is False
    assert cfg.model.roi_head.bbox_head.num_classes == len(DEMO_CLASSES)
    assert cfg.train_cfg.max_epochs == 1 and cfg.paper['table'] == 'T8'
    assert cfg.optim_wrapper.optimizer.lr == 0.02


def test_w32_readme_command_trains(tmp_path, demo_root):
    shrink = ['--work-dir', str(tmp_path), '--cfg-options',
              # one iteration of one image, at 256 px, no worker processes
              'train_dataloader.batch_size=1', 'train_dataloader.dataset.indices=1',
              'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
              'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
              'train_dataloader.dataset.pipeline.2.scale=(256,256)',
              'val_dataloader.dataset.pipeline.1.scale=(256,256)',
              'model.test_cfg.rpn.max_per_img=100',
              # After one step from random init the BN running statistics are still
              # mostly the init's (mean 0, var 1), so the eval pass overflows and every
              # score is NaN; momentum 1 makes them the training batch's. Scores may
              # still sit under mmdet's 0.05, and CocoMetric then returns nothing:
              # keep every box, the metric line is what is checked.
              'model.backbone.norm_cfg.type=BN', 'model.backbone.norm_cfg.momentum=1.0',
              'model.test_cfg.rcnn.score_thr=0']
    proc = run_tool([*w32_command(), *shrink])
    assert proc.returncode == 0, describe(proc)
    log = proc.stdout + proc.stderr
    assert 'Epoch(train) [1][1/1]' in log, describe(proc)
    assert re.search(r'^final metrics: coco/bbox_mAP=\d', proc.stdout, re.M), describe(proc)
    assert (tmp_path / 'epoch_1.pth').is_file()
