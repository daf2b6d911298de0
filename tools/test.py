#!/usr/bin/env python
"""Evaluate a checkpoint of a detection, segmentation or pose config.

The config's ``default_scope`` (mmdet, mmseg or mmpose) picks the toolbox; testing runs
through mmengine's Runner and the config's own test evaluator (e.g. CocoMetric), and the
metrics are printed by mmengine's logger.

Examples::

    python tools/test.py configs/demo/faster-rcnn_hrnetv2p-w18_demo.py \\
        work_dirs/faster-rcnn_hrnetv2p-w18_demo/iter_100.pth
    python tools/test.py CONFIG CKPT --out results.pkl     # also dump the predictions
    python tools/test.py CONFIG CKPT --tta                 # the config's flip/multi-scale test
    python tools/test.py CONFIG CKPT --show-dir vis        # draw every prediction into vis/
    bash tools/dist_test.sh CONFIG CKPT 8
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
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation logs '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--out', type=str,
                        help='dump the predictions to this pickle file (.pkl) for '
                        'offline evaluation')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's tta_model and tta_pipeline "
                        '(flip / multi-scale testing, as the LIP and PASCAL-Context paper '
                        'numbers need)')
    parser.add_argument('--show-dir', help="draw the predictions with the toolbox's "
                        'visualiser and save the images into this folder')
    parser.add_argument('--skip-data-check', action='store_true',
                        help='do not check every image/annotation before testing '
                        '(hrnet_mm.datacheck)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value pairs such as '
        'test_dataloader.dataset.data_root=data/coco/')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='load checkpoints with the full unpickler (runs code from the '
                        'file: only for files you trust that hold more than weights)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.trust_checkpoint:
        os.environ['HRNET_MM_TRUST_CHECKPOINTS'] = '1'  # hrnet_mm.compat.TRUST_ENV
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error('--out must be a .pkl or .pickle file')
    return args


def build_cfg(args):
    from hrnet_mm.tools_lib import read_config
    cfg = read_config(args.config)  # syntax errors name the file and line
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    return cfg


def dump_metric(scope: str, out_file: str):
    """The toolbox's "dump predictions" metric (mmdet's also RLE-encodes masks)."""
    if scope == 'mmdet':
        from mmdet.evaluation import DumpDetResults
        return DumpDetResults(out_file_path=out_file)
    from mmengine.evaluator import DumpResults
    return DumpResults(out_file_path=out_file)


def main(argv=None) -> int:
    args = parse_args(argv)
    from hrnet_mm.tools_lib import (CHECK_ERRORS, RUN_ERRORS, ConfigFileError, ConfigOptionError,
                                    DatasetNotFoundError, add_safety_hooks, apply_show_dir,
                                    apply_tta, check_data_roots, check_run, init_toolbox)
    if not osp.isfile(args.checkpoint):
        print(f'error: checkpoint {args.checkpoint!r} does not exist', file=sys.stderr)
        return 2
    try:
        cfg = build_cfg(args)
    except ConfigFileError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    scope = init_toolbox(cfg)
    show_dir = None
    try:
        if args.tta:
            apply_tta(cfg, args.config)
        if args.show_dir:
            show_dir = apply_show_dir(cfg, args.show_dir)
    except ConfigOptionError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    try:
        check_data_roots(cfg, 'test', config_path=args.config)
    except DatasetNotFoundError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    try:
        for warning in check_run(cfg, 'test', check_data=not args.skip_data_check):
            print(f'warning: {warning}', file=sys.stderr)
    except CHECK_ERRORS as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    add_safety_hooks(cfg, train=False)

    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    if args.out is not None:
        out_dir = osp.dirname(osp.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        runner.test_evaluator.metrics.append(dump_metric(scope, args.out))
    try:
        metrics = runner.test()
    except RUN_ERRORS as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    if args.out is not None:
        print(f'predictions dumped to {args.out}')
    if show_dir is not None:
        print(f'predictions drawn into {show_dir}')
    if runner.rank == 0:
        from hrnet_mm.run_summary import TEST_PREFIX, format_metrics
        print(format_metrics(metrics, TEST_PREFIX), flush=True)
    return 0 if metrics is not None else 1


if __name__ == '__main__':
    sys.exit(main())
