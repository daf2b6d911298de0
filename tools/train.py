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
                        help="automatic mixed-precision training: mmengine's AmpOptimWrapper on a GPU, "
                        'bf16 autocast on a CPU with bf16 instructions '
                        '(hrnet_mm.CPUAutocastOptimWrapper; docs/benchmarks.md measures it)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by (GPUs x batch size) / auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--allow-partial-load', action='store_true',
        help='load a load_from/--resume checkpoint that does not fully match the model '
        '(only the matching tensors), e.g. to fine-tune with another number of classes')
    parser.add_argument(
        '--compile', action='store_true',
        help="torch.compile the training step (mmengine's `compile` config): compiles on "
        'the first iteration (minutes on a CPU), pays off on long runs; '
        'docs/benchmarks.md measures it')
    parser.add_argument(
        '--skip-data-check', action='store_true',
        help='do not check every image/annotation before training (hrnet_mm.preflight)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    return args


def build_cfg(args):
    """The config with the command line applied (mmdet 3.x tools/train.py semantics)."""
    from hrnet_mm.cli import CPU_AMP_WRAPPER, ToolError, amp_optim_wrapper
    from hrnet_mm.cli import build_cfg as common_cfg
    cfg = common_cfg(args.config, args.launcher, args.cfg_options, args.work_dir)

    if args.amp:
        optim_wrapper = cfg.get('optim_wrapper', None)
        if optim_wrapper is None:
            raise ToolError('--amp needs an optim_wrapper in the config')
        if optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.', file=sys.stderr)
        elif amp_optim_wrapper(optim_wrapper) == CPU_AMP_WRAPPER:
            print(f'--amp without a GPU: bf16 autocast on the CPU ({CPU_AMP_WRAPPER})',
                  file=sys.stderr)

    if args.compile:
        cfg.compile = True  # mmengine's Runner compiles model.train_step on the first step

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
    """Why the config's AMP training cannot run on this machine, or None."""
    from hrnet_mm.cli import amp_device_error as check
    return check(cfg)


def main(argv=None) -> int:
    args = parse_args(argv)
    from hrnet_mm.cli import run_tool, train

    def run() -> int:
        return train(build_cfg(args), args.config, resume=args.resume,
                     allow_partial_load=args.allow_partial_load,
                     check_data=not args.skip_data_check)

    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
