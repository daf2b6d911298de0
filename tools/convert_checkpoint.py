#!/usr/bin/env python
"""Convert an HRNet checkpoint into one hrnet_mm/mmengine loads strictly.

  python tools/convert_checkpoint.py SRC [DST] --source official-pose   # pose model
  python tools/convert_checkpoint.py SRC [DST] --source official-face   # face model
  python tools/convert_checkpoint.py SRC [DST] --source official-seg \\
      --config configs/segmentation/fcn_hrnetv2-w48_4xb3-120k_cityscapes-512x1024.py \\
      --align-corners false                                            # segmentor
  python tools/convert_checkpoint.py SRC [DST] --source timm           # backbone only

Whole models: ``official-pose`` (deep-high-resolution-net.pytorch: ``final_layer``),
``official-face`` (HRNet-Facial-Landmark-Detection: ``head.0/1/3``) and ``official-seg``
(HRNet-Semantic-Segmentation: ``model.`` prefix, ``last_layer`` head) become the state_dict
of the matching hrnet_mm config; test them with ``tools/test.py CONFIG DST``.  Backbone
sources (official ImageNet, timm, mmpretrain, mmdet/mmseg/mmpose zoo) become
``backbone.``-prefixed tensors for ``load_from``; HRNet's own
``init_cfg=dict(type='Pretrained')`` reads all of them directly, without conversion.

``align_corners`` is not stored in a segmentation checkpoint: give the yaml's
``MODEL.ALIGN_CORNERS`` as ``--align-corners`` and the config you will test with as
``--config``, and the tool prints the ``--cfg-options`` that make them agree.
"""
import argparse
import sys
from pathlib import Path

# Kept in step with hrnet_mm.weights.SOURCES (a test checks); listed here so that --help
# answers without importing torch.
SOURCES = ('official-seg', 'official-pose', 'official-face', 'official', 'timm',
           'mmpretrain', 'mmdet', 'mmseg', 'mmpose')


def _bool(text: str) -> bool:
    if text.lower() in ('true', '1', 'yes'):
        return True
    if text.lower() in ('false', '0', 'no'):
        return False
    raise argparse.ArgumentTypeError(f'{text!r}: give true or false')


def parse_args(argv=None):
    from hrnet_mm.cli import add_trust_arg, apply_trust
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', nargs='?', help='output path (default: SRC_hrnet_mm.pth)')
    parser.add_argument('--source', required=True, choices=SOURCES,
                        help='where SRC comes from')
    parser.add_argument('--align-corners', type=_bool, metavar='{true,false}',
                        help='official-seg: the MODEL.ALIGN_CORNERS the model was trained '
                        'with (recorded in the output and checked against --config)')
    parser.add_argument('--config', help='official-seg: the config you will test with; its '
                        'align_corners are printed and compared with --align-corners')
    add_trust_arg(parser)
    args = parser.parse_args(argv)
    apply_trust(args)
    return args


def seg_report(config: str, align_corners) -> list:
    """Lines telling how the config's align_corners relate to the checkpoint's."""
    from mmengine.config import Config

    from hrnet_mm.weights import SEG_ALIGN_CORNERS_NOTE, seg_overrides
    lines = [f'note: {SEG_ALIGN_CORNERS_NOTE}']
    if config is None:
        lines.append('note: pass --config CONFIG (and --align-corners) to check a config')
        return lines
    model = Config.fromfile(config).model
    heads = model.decode_head if isinstance(model.decode_head, list) else [model.decode_head]
    used = {'model.backbone.align_corners': model.backbone.get('align_corners', False)}
    for i, head in enumerate(heads):
        key = 'model.decode_head' + (f'.{i}' if len(heads) > 1 else '')
        used[f'{key}.align_corners'] = head.get('align_corners', False)
    lines.append(f'{config} uses: ' + ', '.join(f'{k}={v}' for k, v in used.items()) +
                 f", model.backbone.upsample_by={model.backbone.get('upsample_by', 'scale')}")
    if align_corners is None:
        lines.append('note: give --align-corners true|false (MODEL.ALIGN_CORNERS of the '
                     'yaml) to get the exact overrides')
    else:
        lines.append('to test this checkpoint with that config, add: --cfg-options ' +
                     ' '.join(seg_overrides(align_corners, len(heads))))
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.source != 'official-seg' and (args.config or args.align_corners is not None):
        print('error: --config and --align-corners only apply to --source official-seg',
              file=sys.stderr)
        return 2
    from hrnet_mm.checkpoint_io import torch_load_trusted
    from hrnet_mm.errors import CheckpointLoadError
    from hrnet_mm.weights import (IncompatibleCheckpointError, convert_checkpoint,
                                  default_output_path, save_state_dict)
    dst = args.dst or default_output_path(args.src)
    try:
        state = convert_checkpoint(torch_load_trusted(args.src, 'cpu'), args.source)
    except (FileNotFoundError, CheckpointLoadError, IncompatibleCheckpointError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    meta = dict(converted_from=Path(args.src).name, source=args.source)
    if args.align_corners is not None:
        meta['align_corners'] = args.align_corners
    save_state_dict(state, dst, meta=meta)
    print(f'wrote {len(state)} tensors to {dst}')
    if args.source == 'official-seg':
        for line in seg_report(args.config, args.align_corners):
            print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
