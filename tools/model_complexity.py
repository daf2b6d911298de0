"""Parameters and conv+linear MACs of every config, beside the papers' numbers.

    python tools/model_complexity.py                          # all configs, console table
    python tools/model_complexity.py --configs pose/ '*w18*'  # a subset (substring or glob)
    python tools/model_complexity.py --check                  # exit 1 on FAIL/ERROR rows
    python tools/model_complexity.py --write docs/fidelity.md # the Markdown fidelity table

A row is ``ok`` when the built model's parameter count is within 1% of the config's
``paper['params_m']``; outside that it must carry the reason in ``paper['note']`` (a note
that mentions parameters) or it is ``FAIL``.  See ``hrnet_mm/devtools/analysis/complexity.py``
for what is counted and ``docs/fidelity.md`` for the GFLOPs caveat.
"""
import argparse
import os
import os.path as osp
import sys
import warnings

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--root', default=osp.join(ROOT, 'configs'),
                        help='config folder, searched recursively (_base_ skipped)')
    parser.add_argument('--configs', nargs='+', metavar='PATTERN',
                        help='only configs whose path relative to --root contains PATTERN '
                             '(or matches it as a glob when it has *?[)')
    parser.add_argument('--device', default='cpu', help="'cpu' (default) or e.g. 'cuda'")
    parser.add_argument('--input-shape', nargs=3, type=int, metavar=('C', 'H', 'W'),
                        help="override every config's paper['input_shape']")
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s choice)')
    parser.add_argument('--write', metavar='MD', help='write the Markdown table to this file')
    parser.add_argument('--check', action='store_true',
                        help='exit with status 1 if any row is FAIL or ERROR')
    parser.add_argument('--verbose', action='store_true',
                        help='print the traceback of every failing config')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings('ignore')
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    from tqdm import tqdm

    from hrnet_mm.devtools.analysis.complexity import (find_configs,
        format_console,
        format_markdown,
        measure_config)
    paths = find_configs(args.root, args.configs)
    if not paths:
        print(f'no configs under {args.root} match {args.configs}', file=sys.stderr)
        return 2
    results = []
    bar = tqdm(paths, file=sys.stderr, unit='config', dynamic_ncols=True)
    for path in bar:
        bar.set_postfix_str(osp.relpath(path, args.root))
        result = measure_config(path, device=args.device, input_shape=args.input_shape)
        if result.error is not None:
            tqdm.write(f'[error] {osp.relpath(path, args.root)}: {result.error}',
                       file=sys.stderr)
            if args.verbose:
                tqdm.write(result.trace, file=sys.stderr)
        results.append(result)
    bar.close()

    print(format_console(results, args.root))
    failed = [r for r in results if r.failed]
    for r in failed:
        reason = r.error or ('parameters {:.2f}M vs paper {}M (ratio {:.3f}) and no note '
                             'about parameters'.format(r.params / 1e6, r.paper['params_m'],
                                                       r.params_ratio))
        print(f'{r.status}: {osp.relpath(r.path, args.root)}: {reason}')
    if args.write:
        os.makedirs(osp.dirname(osp.abspath(args.write)), exist_ok=True)
        with open(args.write, 'w') as f:
            f.write(format_markdown(results, args.root))
        print(f'wrote {args.write}')
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    print('summary: ' + ', '.join(f'{k}: {v}' for k, v in sorted(counts.items())))
    return 1 if args.check and failed else 0


if __name__ == '__main__':
    sys.exit(main())
