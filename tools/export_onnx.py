#!/usr/bin/env python
"""Export a config's model (or its backbone / backbone + neck) to ONNX and check it.

The file is written with BN folded into the convs and, with ``--dynamic``, dynamic
batch/height/width.  Before reporting success the export is run by onnxruntime on a
random input and compared with the PyTorch model (<= 1e-4 relative), and both are timed.

Examples::

    python tools/export_onnx.py \\
        configs/segmentation/fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py \\
        --checkpoint work_dirs/seg/iter_120000.pth --out seg.onnx --shape 512 1024
    python tools/export_onnx.py configs/faster_rcnn_hrnetv2p_w32_2x.py --part features \\
        --out hrnetv2p_w32_features.onnx --shape 800 1344 --dynamic

``--part model`` (default) exports the whole network in ``mode='tensor'`` (a segmentor's
logits, a pose estimator's heatmaps); ``features`` is backbone + neck (what a detector's
heads consume: two-stage RoI heads use mmcv ops ONNX cannot express); ``backbone`` the
HRNet alone.  The ONNX input is the image after the model's data preprocessor (mean/std
normalised, padded).
"""
import argparse
import os.path as osp
import sys
import time


def parse_args(argv=None):
    from mmengine.config import DictAction

    from hrnet_mm.deploy import EXPORT_PARTS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('--checkpoint', help='trained weights (default: random, to check '
                        'that the model exports)')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--part', default='model', choices=EXPORT_PARTS)
    parser.add_argument('--shape', nargs=2, type=int, default=[512, 512],
                        metavar=('H', 'W'), help='example input size (default 512 512)')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--dynamic', action='store_true',
                        help='dynamic batch, height and width axes')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from hrnet_mm.deploy import (TensorModeWrapper, export_onnx, model_part_from_config,
                                 ort_session, verify_onnx)

    if not osp.isfile(args.config):
        print(f'error: config {args.config!r} does not exist', file=sys.stderr)
        return 2
    if args.checkpoint and not osp.isfile(args.checkpoint):
        print(f'error: checkpoint {args.checkpoint!r} does not exist', file=sys.stderr)
        return 2
    if min(args.shape) < 32 or args.batch < 1:
        print(f'error: --shape {args.shape[0]} {args.shape[1]} --batch {args.batch}: give '
              'sides of at least 32 px and a batch of at least 1', file=sys.stderr)
        return 2
    from hrnet_mm.cli import build_cfg
    cfg = build_cfg(args.config, cfg_options=args.cfg_options)  # the shims applied first
    shape = (args.batch, 3, *args.shape)
    detector_hint = ('For a detector: its RoI / box heads use mmcv ops ONNX cannot express; '
                     'export its backbone and neck with --part features.')
    if args.part == 'model' and isinstance(cfg.get('model'), dict) and \
            cfg.model.get('roi_head') is not None:
        print(f'error: --part model: {args.config} is a two-stage detector. {detector_hint}',
              file=sys.stderr)
        return 2
    print(f'[1/3] building {args.part} of {args.config}'
          + (f' with {args.checkpoint}' if args.checkpoint else ' (random weights)'))
    model = model_part_from_config(cfg, args.checkpoint, args.part)
    print(f'[2/3] exporting to {args.out} (input {"x".join(map(str, shape))}, opset '
          f'{args.opset}{", dynamic axes" if args.dynamic else ""})')
    try:
        names = export_onnx(model, args.out, shape, opset=args.opset, dynamic=args.dynamic)
    except Exception as exc:  # what to try instead first, then the exporter's own message
        hint = f'{detector_hint} ' if args.part == 'model' and \
            cfg.get('default_scope') == 'mmdet' else ''
        print(f'error: ONNX export of {args.part} failed. {hint}(The exporter said: '
              f'{type(exc).__name__}: {exc})', file=sys.stderr)
        return 1
    print(f'[3/3] checking {len(names)} output(s) with onnxruntime')
    x = torch.randn(*shape)
    session = ort_session(args.out)
    try:
        err = verify_onnx(None, model, x, session=session)
    except AssertionError as exc:
        print(f'error: {exc}: the ONNX file computes something else than the model',
              file=sys.stderr)
        return 1
    feed = {session.get_inputs()[0].name: x.numpy()}
    timings = {}
    net = TensorModeWrapper(model).eval() if args.part == 'model' else model
    for name, run in (('pytorch', lambda: net(x)),
                      ('onnxruntime', lambda: session.run(None, feed))):
        with torch.no_grad():
            run()
            start = time.perf_counter()
            run()
            timings[name] = time.perf_counter() - start
    print(f'wrote {args.out}: max relative error vs PyTorch {err:.1e} (<= 1e-4); one run on '
          f'this CPU: PyTorch eager {timings["pytorch"] * 1e3:.0f} ms, onnxruntime '
          f'{timings["onnxruntime"] * 1e3:.0f} ms (tools/benchmark.py measures properly)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
