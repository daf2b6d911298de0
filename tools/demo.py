#!/usr/bin/env python
"""Run a trained model on one image and draw its predictions to a PNG.

The config's ``default_scope`` picks the toolbox and its own inference API and
visualizer: boxes/masks (mmdet), a class map (mmseg) or keypoints (mmpose, top-down on
the whole image).

Examples::

    python tools/demo.py configs/demo/faster-rcnn_hrnetv2p-w18_demo.py \\
        work_dirs/faster-rcnn_hrnetv2p-w18_demo/iter_100.pth data/demo/det/images/x.jpg \\
        --out out.png
    python tools/demo.py CONFIG CKPT IMAGE --out out.png --device cuda:0 --score-thr 0.5

Pass ``none`` as CHECKPOINT to draw the predictions of a randomly initialised model
(only useful to check the pipeline).
"""
import argparse
import os
import os.path as osp
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


def _visualizer(model, scope):
    from mmengine.registry import VISUALIZERS
    vis_cfg = model.cfg.get('visualizer', None)
    if vis_cfg is None:
        default = {'mmdet': 'DetLocalVisualizer', 'mmseg': 'SegLocalVisualizer',
                   'mmpose': 'PoseLocalVisualizer'}[scope]
        vis_cfg = dict(type=default, vis_backends=[dict(type='LocalVisBackend')])
    vis_cfg = dict(vis_cfg, name=f'hrnet_mm_demo_{os.getpid()}', save_dir=None)
    if scope == 'mmpose':
        # mmpose 1.3.2's OpenCV backend draws each keypoint with int(np.array([r])),
        # which NumPy 2 refuses; mmengine's matplotlib backend draws the same marks.
        vis_cfg['backend'] = 'matplotlib'
    vis_cfg.pop('vis_backends', None)  # draw to an array only; no work_dir output
    return VISUALIZERS.build(vis_cfg)


def config_dataset_meta(cfg) -> dict:
    """The class names and palette a checkpoint trained with ``cfg`` would carry.

    The Runner stores its dataset's ``metainfo`` in every checkpoint; without one
    (``none``) mmdet would label boxes with COCO's 80 names and mmseg has no names at
    all, so the config's test dataset is built lazily (no annotation file is read) for
    the same metainfo.
    """
    import copy

    from mmengine.registry import DATASETS
    loader = cfg.get('test_dataloader', None) or cfg.get('val_dataloader', None)
    if not loader or 'dataset' not in loader:
        raise ValueError('the config has no test_dataloader/val_dataloader dataset to '
                         'take class names from')
    dataset_cfg = copy.deepcopy(loader['dataset'])
    dataset_cfg['lazy_init'] = True
    return dict(DATASETS.build(dataset_cfg).metainfo)


def run_demo(config, checkpoint, image, out, device='cpu', score_thr=0.3,
             cfg_options=None) -> str:
    """Draws ``image``'s predictions to ``out``; returns ``out``."""
    import mmcv

    from hrnet_mm.apis import init_toolbox, read_image

    start = time.perf_counter()

    def say(message):  # a line per phase: building and loading take a while on a CPU
        print(f'[hrnet_mm] {message} ({time.perf_counter() - start:.0f}s)', flush=True)

    from hrnet_mm.cli import build_cfg
    cfg = build_cfg(config, cfg_options=cfg_options)  # the shims first; syntax errors named
    scope = init_toolbox(cfg)
    say(f'building the {scope} model' + (f' and loading {checkpoint}' if checkpoint else ''))
    img_bgr = read_image(image)
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    img_rgb = mmcv.bgr2rgb(img_bgr)

    def loaded(model):
        """The toolboxes' init_model loads non-strictly: refuse what tools/test.py refuses."""
        if checkpoint is not None:
            from hrnet_mm.checkpoint_io import torch_load_trusted
            from hrnet_mm.weights import check_model_matches
            check_model_matches(model, torch_load_trusted(checkpoint, 'cpu'),
                                f'checkpoint {checkpoint}')
        return model

    out_dir = osp.dirname(osp.abspath(out))
    os.makedirs(out_dir, exist_ok=True)

    if scope == 'mmdet':
        from mmdet.apis import inference_detector, init_detector
        model = loaded(init_detector(cfg, checkpoint, device=device))
        if checkpoint is None:
            model.dataset_meta = config_dataset_meta(cfg)
        say('predicting')
        result = inference_detector(model, img_bgr)
        visualizer = _visualizer(model, scope)
        visualizer.dataset_meta = model.dataset_meta
        visualizer.add_datasample('result', img_rgb, data_sample=result, draw_gt=False,
                                  show=False, pred_score_thr=score_thr, out_file=out)
    elif scope == 'mmseg':
        from mmseg.apis import inference_model, init_model
        model = loaded(init_model(cfg, checkpoint, device=device))
        if checkpoint is None:
            model.dataset_meta = config_dataset_meta(cfg)
        say('predicting')
        result = inference_model(model, img_bgr)
        visualizer = _visualizer(model, scope)
        visualizer.dataset_meta = model.dataset_meta
        visualizer.add_datasample('result', img_rgb, data_sample=result, draw_gt=False,
                                  show=False, out_file=out)
    else:  # mmpose: top-down on the whole image
        from mmpose.apis import inference_topdown
        from mmpose.apis import init_model as init_pose_model
        from mmpose.structures import merge_data_samples
        model = loaded(init_pose_model(cfg, checkpoint, device=device))
        say('predicting')
        results = inference_topdown(model, img_bgr)
        result = merge_data_samples(results)
        visualizer = _visualizer(model, scope)
        visualizer.set_dataset_meta(model.dataset_meta)
        visualizer.add_datasample('result', img_rgb, data_sample=result, draw_gt=False,
                                  draw_bbox=True, show=False, kpt_thr=score_thr,
                                  out_file=out)
    if not osp.isfile(out):
        raise RuntimeError(f'the visualizer did not write {out!r}')
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
