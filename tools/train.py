#!/usr/bin/env python
"""Train a detection, segmentation or pose model with an hrnet_mm/OpenMMLab config.

The config's ``default_scope`` (mmdet, mmseg or mmpose) picks the toolbox; training runs
through mmengine's Runner exactly as the toolbox's own ``tools/train.py`` does.

Examples::

    python tools/train.py configs/demo/faster-rcnn_hrnetv2p-w18_demo.py
    python tools/train.py CONFIG --work-dir work_dirs/x --amp --auto-scale-lr
    python tools/train.py CONFIG --resume                # latest checkpoint in work_dir
    python tools/train.py CONFIG --resume work_dirs/x/epoch_3.pth
    bash tools/dist_train.sh CONFIG 8                    # 8 GPUs, --launcher pytorch
"""
import argparse
import os.path as osp
import sys


def parse_args(argv=None):
    from hrnet_mm.cli import add_common_args, apply_common_args
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint; with no value, resume from the latest '
        'checkpoint in the work_dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed-precision training (AmpOptimWrapper)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by (GPUs x batch size) / auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--allow-partial-load', action='store_true',
        help='load a load_from/--resume checkpoint that does not fully match the model '
        '(only the matching tensors), e.g. to fine-tune with another number of classes')
    parser.add_argument(
        '--skip-data-check', action='store_true',
        help='do not check every image/annotation before training (hrnet_mm.preflight)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    return args


def build_cfg(args):
    """The config with the command line applied (mmdet 3.x tools/train.py semantics)."""
    from hrnet_mm.cli import ToolError
    from hrnet_mm.cli import build_cfg as common_cfg
    cfg = common_cfg(args.config, args.launcher, args.cfg_options, args.work_dir)

    if args.amp:
        optim_wrapper = cfg.get('optim_wrapper', None)
        if optim_wrapper is None:
            raise ToolError('--amp needs an optim_wrapper in the config')
        if optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.', file=sys.stderr)
        else:
            optim_wrapper.type = 'AmpOptimWrapper'
            optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.auto_scale_lr:
        scale = cfg.get('auto_scale_lr', None)
        if not scale or 'base_batch_size' not in scale:
            raise ToolError(
                '--auto-scale-lr needs `auto_scale_lr = dict(enable=False, '
                'base_batch_size=N)` in the config (N = the total batch size the lr '
                'was tuned for)')
        scale.enable = True

    # resume priority: explicit checkpoint > auto-resume (latest in work_dir)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def amp_device_error(cfg):
    """Why the config's AMP training cannot run on this machine, or None.

    mmengine's AmpOptimWrapper asserts a CUDA/NPU/MLU/MUSA device deep inside the
    runner; saying so before anything is built is kinder than that traceback.
    """
    optim_wrapper = cfg.get('optim_wrapper', None) or {}
    if optim_wrapper.get('type', None) != 'AmpOptimWrapper':
        return None
    from mmengine.device import (is_cuda_available, is_mlu_available, is_musa_available,
                                 is_npu_available)
    if is_cuda_available() or is_npu_available() or is_mlu_available() or \
            is_musa_available():
        return None
    return ('AMP training (--amp, or optim_wrapper.type=AmpOptimWrapper in the config) '
            'needs a CUDA, NPU, MLU or MUSA device: mmengine\'s AmpOptimWrapper does not '
            'run on CPU. Train without --amp here.')


def main(argv=None) -> int:
    args = parse_args(argv)
    from hrnet_mm.cli import run_tool
    return run_tool(train, args)


def train(args) -> int:
    from hrnet_mm.apis import init_toolbox
    from hrnet_mm.cli import ToolError, WorkDirLock, is_rank_zero
    from hrnet_mm.preflight import check_data_roots, nothing_to_resume
    cfg = build_cfg(args)
    amp_error = amp_device_error(cfg)
    if amp_error:
        raise ToolError(amp_error)
    init_toolbox(cfg)
    check_data_roots(cfg, 'train', config_path=args.config)
    if args.resume not in (None, 'auto') and not osp.isfile(args.resume):
        raise ToolError(f'--resume checkpoint {args.resume!r} does not exist')
    if args.resume == 'auto' and nothing_to_resume(cfg.work_dir):
        print(f'warning: --resume: no checkpoint in {cfg.work_dir} to resume from; training '
              'starts at iteration 0', file=sys.stderr)
    elif args.resume is not None:
        check_resume(cfg, args.resume)
    # One run per work dir; taking the lock also proves it is writable, before the data scan.
    lock = WorkDirLock(cfg.work_dir)
    if is_rank_zero():
        lock.acquire()
    try:
        return _train(args, cfg)
    finally:
        lock.release()


def check_resume(cfg, resume: str) -> None:
    """Warns about config changes ``--resume`` will not apply; refuses an optimizer change."""
    from mmengine.runner import find_latest_checkpoint

    from hrnet_mm.cli import ToolError
    from hrnet_mm.preflight import resume_report
    resumed = find_latest_checkpoint(cfg.work_dir) if resume == 'auto' else resume
    try:
        notes, error = resume_report(cfg, resumed)
    except Exception as exc:  # an unreadable checkpoint: the preflight names it next
        notes, error = [], None
        print(f'warning: --resume: could not compare {resumed} with the config ({exc})',
              file=sys.stderr)
    for line in notes:
        print(f'warning: {line}', file=sys.stderr)
    if error:
        raise ToolError(error)


def _train(args, cfg) -> int:
    """The checks that read the data, then the run (under the work-dir lock)."""
    from hrnet_mm.cli import add_safety_hooks, build_runner, running
    from hrnet_mm.engine.hooks import ValidationSeenHook
    from hrnet_mm.engine.run_summary import format_metrics, last_val_metrics
    from hrnet_mm.preflight import check_run
    for warning in check_run(cfg, 'train', check_data=not args.skip_data_check):
        print(f'warning: {warning}', file=sys.stderr)
    add_safety_hooks(cfg, allow_partial_load=args.allow_partial_load)
    runner = build_runner(cfg)
    seen = ValidationSeenHook()
    runner.register_hook(seen)
    with running():
        runner.train()
        if cfg.get('resume') and not seen.seen and cfg.get('val_cfg') is not None and \
                runner.iter >= runner.max_iters:
            # Resumed at the end (killed during the final validation): the metrics in the
            # checkpoint are an earlier validation's. Validate the final weights now.
            print('resumed a finished run whose final validation did not complete: '
                  'validating now', file=sys.stderr, flush=True)
            runner.val()
    if runner.rank == 0:
        print(format_metrics(last_val_metrics(runner)), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
