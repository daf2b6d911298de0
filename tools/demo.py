#!/usr/bin/env python
"""Run a trained model on one image and draw its predictions to a PNG.

The config's ``default_scope`` picks the toolbox and its own Inferencer (mmdet's
DetInferencer, mmseg's MMSegInferencer, mmpose's MMPoseInferencer): boxes/masks, a class
map, or keypoints (top-down on the whole image).

Examples::

    python tools/demo.py configs/demo/faster-rcnn_hrnetv2p-w18_demo.py \\
        work_dirs/faster-rcnn_hrnetv2p-w18_demo/iter_100.pth data/demo/det/images/x.jpg \\
        --out out.png
    python tools/demo.py CONFIG CKPT IMAGE --out out.png --device cuda:0 --score-thr 0.5

Pass ``none`` as CHECKPOINT to draw the predictions of a randomly initialised model
(only useful to check the pipeline).
"""
import argparse
import sys
import time


def parse_args(argv=None):
    from hrnet_mm.cli import add_trust_arg, apply_trust
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file, or "none"')
    parser.add_argument('image', help='image file')
    parser.add_argument('--out', required=True, help='output image (PNG)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='draw boxes/keypoints scoring at least this')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    add_trust_arg(parser)
    args = parser.parse_args(argv)
    apply_trust(args)
    return args


def run_demo(config, checkpoint, image, out, device='cpu', score_thr=0.3,
             cfg_options=None) -> str:
    """Draws ``image``'s predictions to ``out`` (hrnet_mm.apis.draw_predictions); returns
    ``out``."""
    from hrnet_mm.apis import draw_predictions
    from hrnet_mm.cli import build_cfg
    start = time.perf_counter()

    def say(message):  # a line per phase: building and loading take a while on a CPU
        print(f'[hrnet_mm] {message} ({time.perf_counter() - start:.0f}s)', flush=True)

    cfg = build_cfg(config, cfg_options=cfg_options)  # the shims first; syntax errors named
    draw_predictions(cfg, checkpoint, image, out, device=device, score_thr=score_thr,
                     say=say)
    say('drawn')
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    from hrnet_mm.errors import CheckpointLoadError
    from hrnet_mm.weights import IncompatibleCheckpointError
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    if checkpoint is None:
        print('warning: no checkpoint, drawing a randomly initialised model',
              file=sys.stderr)
    try:
        out = run_demo(args.config, checkpoint, args.image, args.out, args.device,
                       args.score_thr, args.cfg_options)
    except (FileNotFoundError, IsADirectoryError, ValueError, CheckpointLoadError,
            IncompatibleCheckpointError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    print(f'predictions drawn to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
