#!/usr/bin/env python
"""Side-by-side speed of hrnet_mm's HRNet vs MMDet's, MMSeg's, MMPose's and timm's.

Same weights in every model, same inputs, outputs checked to agree (<= 1e-4 relative)
before anything is timed, alternating runs, warm-up, median of repeats.  Prints the
table; with ``--write`` also into docs/benchmarks.md (one section per device) with a PNG.

    python tools/benchmark.py                       # CPU defaults: < 10 min on 2 cores
    python tools/benchmark.py --cases seg:1:infer det:1:infer pose:8:train
    python tools/benchmark.py --device cuda --widths 18 32 48 --dtype bf16 --compile
    python tools/benchmark.py --profile --write     # and update docs/benchmarks.md
    python tools/benchmark.py --profile --scaling --concat --int8-accuracy --write  # all
    python tools/benchmark.py --cases none --int8-ablation  # what limits the int8 cosine

A case is TASK:BATCH:infer|train[:HxW] with TASK pose (256x192), seg (512x1024) or det
(800x1344), the backbone alone, or seg+head / det+neck, the backbone with the HRNetV2
decode head / the HRFPN neck (hrnet_mm's exact rewrites against the toolboxes' own);
HxW overrides the task's input size.  Modes: every model runs in each memory format of
``--formats`` (default: channels_last on CPU, NCHW and channels_last on GPU); ``--fold-bn``
adds BN-folded inference for every model, ``--compile`` torch.compile for every model;
hrnet_mm also runs its deploy paths (``--deploy``: default jit, onnxruntime and
onnxruntime-int8 on CPU, compile on GPU).
"""
import argparse
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_DOC = osp.join(ROOT, 'docs', 'benchmarks.md')
# hrnet_mm.deploy.INFERENCE_BACKENDS, written here so that --help answers without importing
# torch (a test keeps the two equal).
INFERENCE_BACKENDS = ('eager', 'jit', 'compile', 'onnxruntime', 'onnxruntime-int8')
CPU_CASES = ['seg+head:1:infer', 'det+neck:1:infer', 'seg+head:1:train']
GPU_CASES = ['pose:256:infer', 'seg:8:infer', 'det:4:infer', 'pose:64:train',
             'seg:4:train']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--device', default='cpu', help="'cpu' (default) or 'cuda'")
    parser.add_argument('--widths', nargs='+', type=int, default=[32],
                        help='HRNet widths, e.g. 18 32 48 (default: 32)')
    parser.add_argument('--cases', nargs='+', metavar='TASK:BATCH:infer|train[:HxW]',
                        help=f'default on CPU: {" ".join(CPU_CASES)}; on GPU: '
                        f'{" ".join(GPU_CASES)}; none: no timed cases (e.g. only '
                        '--int8-accuracy)')
    parser.add_argument('--models', nargs='+', help='subset of hrnet_mm mmdet mmseg mmpose timm')
    parser.add_argument('--formats', nargs='+', choices=['nchw', 'channels_last'],
                        help='memory formats to run (default: channels_last on CPU, where it '
                        'is every model\'s faster one, which keeps the defaults under 10 '
                        'minutes; both on GPU)')
    parser.add_argument('--dtype', default='fp32', choices=['fp32', 'bf16'],
                        help='autocast dtype (bf16 needs a CPU/GPU with bf16 support)')
    parser.add_argument('--compile', action='store_true', help='also run every model '
                        'under torch.compile (slow to start on CPU)')
    parser.add_argument('--fold-bn', action='store_true',
                        help='also run every model with BN folded (inference cases)')
    parser.add_argument('--with-cp', action='store_true',
                        help='also run training cases with gradient checkpointing '
                        '(every implementation that has the option)')
    parser.add_argument('--deploy', nargs='+', choices=['none', *INFERENCE_BACKENDS],
                        help="hrnet_mm's deploy paths to time for inference (default: jit "
                        'and onnxruntime on CPU, compile on GPU)')
    parser.add_argument('--profile', action='store_true',
                        help='also profile hrnet_mm and mmdet (channels_last; the jit '
                        'deploy path for inference, the --amp step for training on a CPU '
                        'with bf16) and print where the time goes, by op kind')
    parser.add_argument('--scaling', action='store_true',
                        help='also time the hrnet_mm backbone (deploy[onnxruntime]) at input '
                        'sizes 256x256 ... 1024x2048 and widths 18/32/48, beside its MACs')
    parser.add_argument('--concat', action='store_true',
                        help='also time the head\'s and HRFPN\'s 1x1 conv alone for each '
                        'number of branches concatenated before it (the rest per branch)')
    parser.add_argument('--int8-accuracy', nargs='*', metavar='CONFIG=CHECKPOINT',
                        help='also measure the int8 path\'s metric change (mIoU, NME, AP) '
                        'against fp32 on each config\'s test data; no pairs: train the '
                        'segmentation, face and pose demos first (about 10 min on 2 cores)')
    parser.add_argument('--int8-ablation', action='store_true',
                        help='with --int8-accuracy (implied): also quantise each model other '
                        'ways (mirrored calibration, Add in fp32, 16-bit activations, the '
                        'held-out input calibrated) and print each one\'s cosine and speed: '
                        'what limits the int8 cosine')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: all cores)')
    parser.add_argument('--write', nargs='?', const=DEFAULT_DOC, metavar='FILE',
                        help='also write the tables into this Markdown file and a PNG beside '
                        'it (no FILE: docs/benchmarks.md); without --write, print only')
    parser.add_argument('--no-write', action='store_true',
                        help='print only (the default; kept for older commands)')
    return parser.parse_args(argv)


def parse_case(text: str, width: int):
    from hrnet_mm.devtools.benchmark import SHAPES, Case
    usage = (f'error: case {text!r} is not TASK:BATCH:infer|train[:HxW] with TASK one of '
             f'{list(SHAPES)} and BATCH >= 1 (e.g. seg:1:infer or pose:8:train:128x96)')
    parts = text.split(':')
    if len(parts) not in (3, 4):
        raise SystemExit(usage)
    task, batch, kind = parts[:3]
    try:
        batch = int(batch)
        size = tuple(int(v) for v in parts[3].lower().split('x')) if len(parts) == 4 else None
    except ValueError:
        raise SystemExit(usage)
    if task not in SHAPES or kind not in ('infer', 'train') or batch < 1 or \
            (size is not None and (len(size) != 2 or min(size) < 1)):
        raise SystemExit(usage)
    return Case(task, width, batch, kind == 'train', size)


def int8_accuracy(pairs, ablation: bool = False):
    """The int8 accuracy rows for CONFIG=CHECKPOINT pairs, or the trained demos
    (``ablation``: with :mod:`hrnet_mm.devtools.int8_ablation`'s variants)."""
    import tempfile

    from hrnet_mm.devtools import int8_accuracy as acc
    metric_of = {osp.normpath(c): m for c, m, _ in acc.DEMO_CASES}
    work = tempfile.mkdtemp(prefix='hrnet_mm_int8_')
    jobs = []
    for pair in pairs or []:
        config, sep, checkpoint = pair.partition('=')
        if not sep or not osp.isfile(config) or not osp.isfile(checkpoint):
            print(f'error: --int8-accuracy takes CONFIG=CHECKPOINT with both files present; '
                  f'got {pair!r}', file=sys.stderr)
            return None
        jobs.append((config, checkpoint))
    if not pairs:
        for config, _, _ in acc.DEMO_CASES:
            print(f'[int8] training {config} (its demo schedule)', flush=True)
            jobs.append((config, acc.train_demo(config, osp.join(work, 'train',
                                                                 osp.basename(config)))))
    results, failed = [], []
    for k, (config, checkpoint) in enumerate(jobs):
        metric = metric_of.get(osp.normpath(config))
        if metric is None:
            from hrnet_mm.apis import read_config
            metric = read_config(config).paper['metric']
        print(f'[int8] evaluating {config} in fp32 and int8', flush=True)
        try:
            results.append(acc.measure(config, checkpoint, metric, osp.join(work, f'eval{k}'),
                                       ablation=ablation))
        except Exception as exc:  # one config that cannot run int8 is reported, not fatal
            failed.append(f'{config}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}')
    from hrnet_mm.devtools.benchmark import format_table
    print('\nint8 accuracy (same checkpoint and test data, fp32 vs the int8 path)\n'
          + format_table(acc.rows(results), acc.HEADER)
          + ''.join(f'\nnot measured: {line}' for line in failed))
    if ablation:
        from hrnet_mm.devtools.int8_ablation import HEADER, variant_rows
        for result in results:
            print(f'\nwhy int8 falls short: {result.config} (cosine and time on the held-out '
                  'input)\n' + format_table(variant_rows(result.ablation), HEADER))
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    from tqdm import tqdm

    from hrnet_mm.devtools import benchmark as bm

    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        print('error: --device cuda but torch sees no CUDA device', file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    gpu = device.type == 'cuda'
    names = args.models or list(bm.MODELS)
    unknown = [n for n in names if n not in bm.MODELS]
    if unknown or 'hrnet_mm' not in names:
        print(f'error: --models must include hrnet_mm and be among {list(bm.MODELS)}',
              file=sys.stderr)
        return 2
    deploy = [d for d in (args.deploy or (['compile'] if gpu else
                                          ['jit', 'onnxruntime', 'onnxruntime-int8']))
              if d != 'none']
    formats = args.formats or (['nchw', 'channels_last'] if gpu else ['channels_last'])
    wanted = args.cases or (GPU_CASES if gpu else CPU_CASES)
    if 'none' in wanted and len(wanted) > 1:
        print('error: --cases none runs no timed case; give it alone', file=sys.stderr)
        return 2
    cases = [parse_case(c, w) for w in args.widths for c in wanted if c != 'none']

    # CPU training cases also run as `tools/train.py --amp` trains on a CPU (the backbone in
    # bf16), where the CPU has bf16 instructions: elsewhere that option is refused.
    from hrnet_mm.engine.optim_wrapper import cpu_has_bf16
    cpu_amp = not gpu and args.dtype == 'fp32' and cpu_has_bf16()

    def modes_for(case):
        modes = [bm.Mode(channels_last=f == 'channels_last', dtype=args.dtype)
                 for f in formats]
        if args.compile:
            modes += [bm.Mode(channels_last=True, dtype=args.dtype, compile=True)]
        if case.train and cpu_amp:
            modes += [bm.Mode(channels_last=True, cpu_amp=True)]
        if case.train and args.with_cp:
            modes += [bm.Mode(channels_last=True, dtype=args.dtype, with_cp=True)]
        if not case.train:
            if args.fold_bn:
                modes += [bm.Mode(channels_last=True, dtype=args.dtype, fold_bn=True)]
            modes += [bm.Mode(dtype=args.dtype, deploy=d) for d in deploy]
        return modes

    def runs(case):
        n = sum(len(names) if not m.deploy else 1 for m in modes_for(case))
        return n * (max(args.warmup, 1) + args.repeats)

    where = bm.device_description(device)
    clock = {'timed cases': 0.0, 'profiling': 0.0}  # wall time of each part, printed last
    start = time.perf_counter()
    notes = []
    peak = None
    if not cases:
        print(f'device: {where}')
    elif gpu:
        peak = bm.matmul_peak(device, args.dtype)
        notes.append(f'measured {args.dtype} matmul peak {peak:.2f} TFLOP/s')
    else:  # the convolution kernels' own ceiling, in the same run
        ceiling = bm.conv_ceiling(device)
        peak = max(ceiling.values()) / 1e3
        notes.append(bm.ceiling_line(ceiling))
        if any(c.train for c in cases) and args.dtype == 'fp32' and not cpu_amp:
            notes.append('this CPU has no bf16 instructions (AVX512-BF16 or AMX), so the '
                         'training step as tools/train.py --amp runs it (refused here) is '
                         'not timed')
    if notes:
        print(f'device: {where}; {notes[0]}')
    results = []
    with tqdm(total=sum(runs(c) for c in cases), desc='benchmark', unit='run',
              file=sys.stderr) as progress:
        for case in cases:
            progress.set_postfix_str(case.label)
            try:
                result = bm.measure_case(case, modes_for(case), device, names,
                                         args.warmup, args.repeats, progress=progress)
            except AssertionError as exc:
                print(f'error: {exc}', file=sys.stderr)
                return 1
            clock['timed cases'] += time.perf_counter() - start
            start = time.perf_counter()
            if args.profile:
                result.profile = bm.profile_case(
                    case, device, bm.profiled_modes(case, args.dtype, cpu_amp))
            clock['profiling'] += time.perf_counter() - start
            start = time.perf_counter()
            results.append(result)
            tqdm.write(f'\n{case.label}\n'
                       + bm.format_table(bm.result_rows(result, peak))
                       + f'\n{bm.summary_line(result)}\n{bm.agreement_line(result)}'
                       + (f'\n{bm.work_line(result)}' if bm.work_line(result) else '')
                       + ('\nwhere the time goes (share of profiled self time):\n'
                          + bm.format_profile(result.profile) if result.profile else ''),
                       file=sys.stdout)

    scaling = None
    if args.scaling:
        backend = 'compile' if gpu else 'onnxruntime'
        with tqdm(total=len(bm.SCALING_SIZES) * len(bm.SCALING_WIDTHS), desc='scaling',
                  unit='case', file=sys.stderr) as progress:
            scaling = bm.scaling_rows(device, backend, progress=progress)
        clock['scaling'] = time.perf_counter() - start
        start = time.perf_counter()
        print(f'\nscaling (hrnet_mm backbone, deploy[{backend}], batch 1)\n'
              + bm.format_table(scaling, bm.SCALING_HEADER))

    concat = None
    if args.concat:
        with tqdm(total=2 * (args.repeats + 1), desc='concat', unit='round',
                  file=sys.stderr) as progress:
            concat = bm.concat_rows(device, args.widths[0], args.repeats, progress=progress)
        clock['concat'] = time.perf_counter() - start
        start = time.perf_counter()
        print('\nthe head\'s and neck\'s 1x1 conv alone, by branches concatenated before it '
              '(* hrnet_mm\'s)\n' + bm.format_table(concat, bm.CONCAT_HEADER))

    accuracy = None
    if args.int8_ablation and args.int8_accuracy is None:
        args.int8_accuracy = []  # the ablation runs on the accuracy run's models
    if args.int8_accuracy is not None:
        accuracy = int8_accuracy(args.int8_accuracy, args.int8_ablation)
        if accuracy is None:
            return 2
        clock['int8 accuracy'] = time.perf_counter() - start
    # what the defaults cost is the timed cases (the ceiling included); the rest is opt-in
    wall = 'wall time on this machine: ' + ', '.join(
        f'{k} {v // 60:.0f}m{v % 60:02.0f}s' for k, v in clock.items() if v)
    print(f'\n{wall}')
    notes.append(wall)

    if args.write and not args.no_write:
        command = 'python tools/benchmark.py ' + ' '.join(argv if argv is not None
                                                          else sys.argv[1:])
        key = 'GPU' if gpu else 'CPU'
        title = f'{key}: {where}'
        if results or scaling or concat:
            section = bm.markdown_section(title, command.strip(), results, peak,
                                          notes=[n[0].upper() + n[1:] + '.' for n in notes],
                                          scaling=scaling, concat=concat)
            bm.update_markdown(args.write, key, section)
            print(f'\nwrote {args.write} ({key} section)')
        if results:
            png = osp.join(osp.dirname(args.write), f'benchmarks_{key.lower()}.png')
            bm.plot(results, png, title)
            print(f'wrote {png}')
        if accuracy:  # a section of its own: a run of only --int8-accuracy keeps the rest
            bm.update_markdown(args.write, f'int8 on {key}', bm.int8_section(
                f'int8 on {key}: {where}', command.strip(), accuracy))
            print(f'wrote {args.write} (int8 on {key} section)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
