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
import sys


def parse_args(argv=None):
    from hrnet_mm.cli import add_common_args, apply_common_args
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
                        '(hrnet_mm.preflight)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error('--out must be a .pkl or .pickle file')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from hrnet_mm.cli import evaluate, is_rank_zero, run_tool
    from hrnet_mm.engine.run_summary import TEST_PREFIX, format_metrics

    def test() -> int:
        metrics = evaluate(args.config, args.checkpoint, work_dir=args.work_dir,
                           cfg_options=args.cfg_options, launcher=args.launcher,
                           tta=args.tta, show_dir=args.show_dir, out=args.out,
                           check_data=not args.skip_data_check)
        if is_rank_zero():
            print(format_metrics(metrics, TEST_PREFIX), flush=True)
        return 0 if metrics is not None else 1

    return run_tool(test)


if __name__ == '__main__':
    sys.exit(main())
