#!/usr/bin/env python
"""Reproduce the papers' tables: evaluate configs x checkpoints and compare with the papers.

Each config is evaluated through tools/test.py's own code path (its checks, its
evaluator; --tta where the config has a tta_model, i.e. where the paper's number is a flip
/ multi-scale test).  The output folder gets results.md, results.json and results.png
(measured against paper, per task).  A rerun skips every config already measured with the
same checkpoint (by sha256); --force measures again.  A config that fails is recorded with
its error and the rest go on; the exit code is 1 if any failed or missed its checkpoint
or data.

Examples::

    python tools/reproduce.py --configs detection --checkpoints ckpts/ --data-root coco=/data/coco
    python tools/reproduce.py --configs 'segmentation/*cityscapes*' --checkpoints ckpts/ \\
        --data-root cityscapes=/data/cityscapes
    python tools/reproduce.py --configs lip pascal-context --mapping ckpts.json \\
        --data-root LIP=/data/LIP VOCdevkit=/data/VOCdevkit
    python tools/reproduce.py --configs face --checkpoints ckpts/ --data-root 300w=/data/300w
    python tools/reproduce.py --configs demo --checkpoints work_dirs/   # the demo data
    python tools/reproduce.py --configs demo --train                   # train, then evaluate
    torchrun --nproc-per-node 8 tools/reproduce.py --launcher pytorch --configs detection ...

Checkpoints are found as DIR/<config name>.pth or as the newest checkpoint of the work dir
DIR/<config name>/ (tools/train.py's layout); --mapping names them in a JSON object
{"<config name>": "<checkpoint>"}.  --data-root NAME=PATH points every path under
data/NAME/ (the configs' layout) at PATH.
"""
import argparse
import sys


def parse_args(argv=None):
    from hrnet_mm.cli import add_common_args, apply_common_args
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--configs', nargs='+', default=[],
                        help='config patterns as tools/list_configs.py takes them (a glob, or '
                        'a substring of the path); default: every config with a paper number')
    parser.add_argument('--root', default='configs', help='the configs folder')
    parser.add_argument('--checkpoints', help='folder of checkpoints named after the configs')
    parser.add_argument('--mapping', help='JSON file {"<config name>": "<checkpoint>"}')
    parser.add_argument('--data-root', nargs='+', default=[], metavar='NAME=PATH',
                        help='where the datasets are, e.g. coco=/data/coco')
    parser.add_argument('--out-dir', default='work_dirs/reproduce',
                        help='where results.md/json/png and the evaluation logs go')
    parser.add_argument('--force', action='store_true',
                        help='measure again what results.json already holds')
    parser.add_argument('--train', action='store_true',
                        help='train each config first (tools/train.py), then evaluate it')
    parser.add_argument('--skip-data-check', action='store_true',
                        help='do not check every image/annotation first (hrnet_mm.preflight)')
    add_common_args(parser)
    args = parser.parse_args(argv)
    apply_common_args(args)
    roots = {}
    for item in args.data_root:
        name, sep, path = item.partition('=')
        if not sep or not name or not path:
            parser.error(f'--data-root {item!r}: give NAME=PATH, e.g. coco=/data/coco')
        roots[name] = path
    args.data_roots = roots
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from hrnet_mm.cli import ToolError, run_tool
    from hrnet_mm.devtools.reproduce import Options, ReproduceError, reproduce

    def run() -> int:
        opts = Options(configs=args.configs, root=args.root, checkpoints=args.checkpoints,
                       mapping=args.mapping, data_roots=args.data_roots, out_dir=args.out_dir,
                       force=args.force, train=args.train, launcher=args.launcher,
                       cfg_options=args.cfg_options, check_data=not args.skip_data_check,
                       command=' '.join(['python tools/reproduce.py', *(argv or sys.argv[1:])]))
        try:
            results = reproduce(opts)
        except ReproduceError as exc:
            raise ToolError(str(exc)) from exc
        bad = [r for r in results if r.status in ('failed', 'missing')]
        print(f'{len(results) - len(bad)} of {len(results)} configs measured or skipped; '
              f'results in {args.out_dir}/results.md', flush=True)
        for r in bad:
            print(f'{r.status}: {r.config}: {r.error}', file=sys.stderr)
        return 1 if bad else 0

    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
