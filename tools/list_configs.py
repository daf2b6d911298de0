#!/usr/bin/env python
"""List every config with its paper row and number (and the toolbox zoo's) as Markdown.

    python tools/list_configs.py                   # print the table
    python tools/list_configs.py --update-readme   # rewrite README.md's copy in place
    python tools/list_configs.py --check           # exit 1 if README.md's copy is stale

The table is read from each config's ``paper`` dict (``hrnet_mm/devtools/analysis/config_table.py``);
README.md holds it between ``<!-- config-table:start -->`` and ``<!-- config-table:end -->``.
"""
import argparse
import os.path as osp
import sys
import warnings

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--configs', nargs='+', metavar='PATTERN',
                        help='only configs whose path under configs/ contains PATTERN (or '
                        'matches it as a glob when it has *?[); not with --update-readme '
                        'or --check')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--update-readme', action='store_true',
                       help='write the table into README.md between the markers')
    group.add_argument('--check', action='store_true',
                       help='exit 1 if README.md\'s table differs from the configs')
    parser.add_argument('--readme', default=osp.join(ROOT, 'README.md'),
                        help='the README to update or check (default: the repository\'s)')
    args = parser.parse_args(argv)
    if args.configs and (args.update_readme or args.check):
        parser.error('--configs lists a subset; the README table lists every config')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings('ignore')  # toolbox import chatter; the table goes to stdout
    from hrnet_mm.devtools.analysis.config_table import (ConfigTableError,
        config_rows,
        format_markdown,
        readme_block,
        replace_between_markers)
    try:
        rows = config_rows(ROOT, 'configs', args.configs)
    except ConfigTableError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    if not rows:
        print(f'error: no configs match {args.configs}', file=sys.stderr)
        return 2
    if not (args.update_readme or args.check):
        print(format_markdown(rows))
        return 0

    try:
        with open(args.readme, encoding='utf-8') as f:
            text = f.read()
        updated = replace_between_markers(text, readme_block(rows))
    except (OSError, ConfigTableError) as exc:
        print(f'error: {args.readme}: {exc}', file=sys.stderr)
        return 2
    if args.check:
        if updated != text:
            print(f'{args.readme}: the config table is out of date; regenerate it with '
                  'python tools/list_configs.py --update-readme', file=sys.stderr)
            return 1
        print(f'{args.readme}: the config table lists all {len(rows)} configs')
        return 0
    if updated != text:
        with open(args.readme, 'w', encoding='utf-8') as f:
            f.write(updated)
        print(f'{args.readme}: config table updated ({len(rows)} configs)')
    else:
        print(f'{args.readme}: config table already up to date ({len(rows)} configs)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
