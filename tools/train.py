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
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def parse_args(argv=None):
    from mmengine.config import DictAction
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
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value pairs such as '
        'train_cfg.max_iters=2 model.backbone.init_cfg=None; lists as a=[1,2] '
        'or a=1,2 (quote the whole pair if it has spaces)')
    parser.add_argument(
        '--allow-partial-load', action='store_true',
        help='load a load_from/--resume checkpoint that does not fully match the model '
        '(only the matching tensors), e.g. to fine-tune with another number of classes')
    parser.add_argument(
        '--skip-data-check', action='store_true',
        help='do not check every image/annotation before training (hrnet_mm.datacheck)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='load checkpoints with the full unpickler (runs code from the '
                        'file: only for files you trust that hold more than weights)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (torch>=2.0) or --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.trust_checkpoint:
        os.environ['HRNET_MM_TRUST_CHECKPOINTS'] = '1'  # hrnet_mm.compat.TRUST_ENV
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args):
    """The config with the command line applied (mmdet 3.x tools/train.py semantics)."""
    from hrnet_mm.tools_lib import read_config
    cfg = read_config(args.config)  # syntax errors name the file and line
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        optim_wrapper = cfg.get('optim_wrapper', None)
        if optim_wrapper is None:
            raise ValueError('--amp needs an optim_wrapper in the config')
        if optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.', file=sys.stderr)
        else:
            optim_wrapper.type = 'AmpOptimWrapper'
            optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.auto_scale_lr:
        scale = cfg.get('auto_scale_lr', None)
        if not scale or 'base_batch_size' not in scale:
            raise ValueError(
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
    from hrnet_mm.tools_lib import (ConfigFileError, DatasetNotFoundError, WorkDirBusyError,
                                    WorkDirLock, check_data_roots, init_toolbox, is_rank_zero,
                                    nothing_to_resume)
    try:
        cfg = build_cfg(args)
    except ConfigFileError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    amp_error = amp_device_error(cfg)
    if amp_error:
        print(f'error: {amp_error}', file=sys.stderr)
        return 2
    init_toolbox(cfg)
    try:
        check_data_roots(cfg, 'train', config_path=args.config)
    except DatasetNotFoundError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    if args.resume not in (None, 'auto') and not osp.isfile(args.resume):
        print(f'error: --resume checkpoint {args.resume!r} does not exist', file=sys.stderr)
        return 2
    if args.resume == 'auto' and nothing_to_resume(cfg.work_dir):
        print(f'warning: --resume: no checkpoint in {cfg.work_dir} to resume from; training '
              'starts at iteration 0', file=sys.stderr)
    elif args.resume is not None:
        from mmengine.runner import find_latest_checkpoint

        from hrnet_mm.tools_lib import resume_report
        resumed = find_latest_checkpoint(cfg.work_dir) if args.resume == 'auto' else args.resume
        try:
            notes, error = resume_report(cfg, resumed)
        except Exception as exc:  # an unreadable checkpoint: the preflight names it next
            notes, error = [], None
            print(f'warning: --resume: could not compare {resumed} with the config ({exc})',
                  file=sys.stderr)
        for line in notes:
            print(f'warning: {line}', file=sys.stderr)
        if error:
            print(f'error: {error}', file=sys.stderr)
            return 2
    # One run per work dir; taking the lock also proves it is writable, before the data scan.
    lock = WorkDirLock(cfg.work_dir)
    try:
        if is_rank_zero():
            lock.acquire()
    except WorkDirBusyError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    try:
        return _train(args, cfg)
    finally:
        lock.release()


def _train(args, cfg) -> int:
    """The checks that read the data, then the run (under the work-dir lock)."""
    from hrnet_mm.tools_lib import CHECK_ERRORS, RUN_ERRORS, add_safety_hooks, check_run
    try:
        for warning in check_run(cfg, 'train', check_data=not args.skip_data_check):
            print(f'warning: {warning}', file=sys.stderr)
    except CHECK_ERRORS as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    add_safety_hooks(cfg, allow_partial_load=args.allow_partial_load)

    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    from hrnet_mm.hooks import ValidationSeenHook
    seen = ValidationSeenHook()
    runner.register_hook(seen)
    try:
        runner.train()
        if cfg.get('resume') and not seen.seen and cfg.get('val_cfg') is not None and \
                runner.iter >= runner.max_iters:
            # Resumed at the end (killed during the final validation): the metrics in the
            # checkpoint are an earlier validation's. Validate the final weights now.
            print('resumed a finished run whose final validation did not complete: '
                  'validating now', file=sys.stderr, flush=True)
            runner.val()
    except RUN_ERRORS as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    if runner.rank == 0:
        from hrnet_mm.run_summary import format_metrics, last_val_metrics
        print(format_metrics(last_val_metrics(runner)), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
