#!/usr/bin/env python
"""Convert an HRNet checkpoint into one hrnet_mm/mmengine loads strictly.

  python tools/convert_checkpoint.py SRC [DST] --source official-seg   # full segmentor
  python tools/convert_checkpoint.py SRC [DST] --source timm           # backbone only

``official-seg``: an official HRNet-Semantic-Segmentation checkpoint (``model.`` prefix,
``last_layer`` head with conv bias) becomes an mmseg FCN segmentor state_dict; use it as
``load_from``.  Backbone sources (official ImageNet, timm, mmpretrain, mmdet/mmseg/mmpose
zoo) become ``backbone.``-prefixed tensors.  HRNet's own ``init_cfg=dict(type='Pretrained')``
reads all backbone sources directly, without conversion.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SOURCES = ('official-seg', 'official', 'timm', 'mmpretrain', 'mmdet', 'mmseg', 'mmpose')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', nargs='?', help='output path (default: SRC_hrnet_mm.pth)')
    parser.add_argument('--source', required=True, choices=SOURCES,
                        help='where SRC comes from')
    args = parser.parse_args(argv)

    from hrnet_mm.compat import CheckpointLoadError, torch_load_trusted
    from hrnet_mm.weights import (IncompatibleCheckpointError, convert_checkpoint,
                                  default_output_path, save_state_dict)
    dst = args.dst or default_output_path(args.src)
    try:
        state = convert_checkpoint(torch_load_trusted(args.src, 'cpu'), args.source)
    except (FileNotFoundError, CheckpointLoadError, IncompatibleCheckpointError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    save_state_dict(state, dst, meta=dict(converted_from=Path(args.src).name,
                                          source=args.source))
    print(f'wrote {len(state)} tensors to {dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
