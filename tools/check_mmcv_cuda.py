#!/usr/bin/env python
"""Proves what the installed mmcv's compiled extension holds; runs without a GPU.

    python tools/check_mmcv_cuda.py --arch 9.0      # a FORCE_CUDA=1 build for H100/H200
    python tools/check_mmcv_cuda.py --cpu-only      # the default (CPU-ops) build

Checks, and prints the evidence of each:

* ``cuobjdump --list-elf`` on ``mmcv/_ext*.so`` lists a cubin for every requested arch
  (``sm_90`` for ``--arch 9.0``), or none at all for ``--cpu-only``;
* the CUDA launchers of ``nms``, ``roi_align`` and ``sigmoid_focal_loss`` are compiled in
  (their host symbols, e.g. ``NMSCUDAKernelLauncher``; their kernels in the cubins);
* ``mmcv._ext`` imports, and those three ops give the right answers on the CPU here.

Exit 0 when every check holds, 1 otherwise (each failure says what is missing).
Self-contained (stdlib, torch, mmcv), as an install check that does not need hrnet_mm.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from typing import List, Tuple

# (op, host launcher symbol, a kernel name fragment in the cubin)
OPS = (('nms', 'NMSCUDAKernelLauncher', 'nms_cuda'),
       ('roi_align', 'ROIAlignForwardCUDAKernelLauncher', 'roi_align_forward_cuda_kernel'),
       ('sigmoid_focal_loss', 'SigmoidFocalLossForwardCUDAKernelLauncher',
        'sigmoid_focal_loss_forward_cuda_kernel'))


def extension_path() -> str:
    import mmcv
    found = glob.glob(os.path.join(os.path.dirname(mmcv.__file__), '_ext*.so'))
    if not found:
        raise SystemExit('mmcv has no compiled extension (mmcv/_ext*.so): it was installed '
                         'without ops; re-run tools/setup_env.sh')
    return found[0]


def cuobjdump() -> str:
    """The CUDA toolkit's cuobjdump, or the one Triton's wheel (a dependency of CUDA torch)
    carries: a minimal toolkit (nvcc + cudart) has none."""
    candidates = [shutil.which('cuobjdump'),
                  os.path.join(os.environ.get('CUDA_HOME', '/usr/local/cuda'), 'bin', 'cuobjdump')]
    try:
        import triton
        candidates.append(os.path.join(os.path.dirname(triton.__file__), 'backends', 'nvidia',
                                       'bin', 'cuobjdump'))
    except ImportError:
        pass
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            return candidate
    raise SystemExit('cuobjdump not found: it comes with the CUDA toolkit (put its bin/ on '
                     'PATH or set CUDA_HOME) and with the triton wheel')


def _out(cmd: List[str]) -> str:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc.stdout


def cubin_archs(so: str) -> Tuple[List[str], List[str]]:
    """(the ``sm_XX`` archs of the embedded cubins, the --list-elf lines)."""
    text = _out([cuobjdump(), '--list-elf', so])
    lines = [line for line in text.splitlines() if 'ELF file' in line]
    return sorted(set(re.findall(r'\bsm_\d+a?\b', '\n'.join(lines)))), lines


def host_symbols(so: str) -> str:
    return _out(['nm', '-D', '--defined-only', '-C', so])


def kernel_symbols(so: str) -> str:
    return _out([cuobjdump(), '--dump-elf-symbols', so])


def cpu_ops_work() -> List[str]:
    """Runs the three ops on CPU tensors with answers known by hand."""
    import torch
    from mmcv.ops import nms, roi_align, sigmoid_focal_loss  # noqa: F401
    problems = []
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
    if keep.tolist() != [0, 2]:
        problems.append(f'nms on CPU kept {keep.tolist()}, expected [0, 2]')
    feat = torch.arange(16.).view(1, 1, 4, 4)
    out = roi_align(feat, torch.tensor([[0., 0., 0., 4., 4.]]), (1, 1), 1.0, 2, 'avg', True)
    if abs(out.item() - feat.mean().item()) > 1e-5:
        problems.append(f'roi_align on CPU gave {out.item()}, expected {feat.mean().item()}')
    try:  # mmcv 2.1.0 has no CPU focal loss: that it says so is the expected answer
        sigmoid_focal_loss(torch.zeros(2, 3), torch.tensor([0, 1]), 2.0, 0.25, None, 'mean')
    except (NotImplementedError, RuntimeError) as exc:
        if 'cpu' not in str(exc).lower() and 'not implemented' not in str(exc).lower():
            problems.append(f'sigmoid_focal_loss on CPU failed unexpectedly: {exc}')
    return problems


def cuda_equals_cpu() -> List[str]:
    """On a GPU: the three ops on CUDA against the CPU (sigmoid_focal_loss has no CPU
    kernel in mmcv 2.1.0: against its formula in torch).  Prints the largest differences."""
    import torch
    from mmcv.ops import nms, roi_align, sigmoid_focal_loss
    problems = []
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(2000, 2, generator=gen) * 500
    boxes = torch.cat([xy, xy + 10 + torch.rand(2000, 2, generator=gen) * 90], 1)
    scores = torch.rand(2000, generator=gen)
    keep_cpu = nms(boxes, scores, 0.5)[1]
    keep_gpu = nms(boxes.cuda(), scores.cuda(), 0.5)[1].cpu()
    print(f'  nms: CPU keeps {len(keep_cpu)}, CUDA {len(keep_gpu)}, same indices: '
          f'{torch.equal(keep_cpu, keep_gpu)}')
    if not torch.equal(keep_cpu, keep_gpu):
        problems.append('nms: CUDA keeps other boxes than the CPU')
    feat = torch.randn(2, 16, 64, 64, generator=gen)
    rois = torch.cat([torch.randint(0, 2, (300, 1), generator=gen).float(), boxes[:300] / 8], 1)
    cpu = roi_align(feat, rois, (7, 7), 1.0, 2, 'avg', True)
    gpu = roi_align(feat.cuda(), rois.cuda(), (7, 7), 1.0, 2, 'avg', True).cpu()
    err = (cpu - gpu).abs().max().item()
    print(f'  roi_align: max |CUDA - CPU| = {err:.2e} (tolerance 1e-5)')
    if err > 1e-5:
        problems.append(f'roi_align: CUDA differs from the CPU by {err:.2e}')
    logits = torch.randn(500, 80, generator=gen)
    labels = torch.randint(0, 80, (500, ), generator=gen)
    gpu = sigmoid_focal_loss(logits.cuda(), labels.cuda(), 2.0, 0.25, None, 'none').cpu()
    target = torch.nn.functional.one_hot(labels, 80).float()
    p = logits.sigmoid()
    pt = (1 - p) * target + p * (1 - target)
    weight = (0.25 * target + 0.75 * (1 - target)) * pt.pow(2.0)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, target, reduction='none') * weight
    err = ((gpu - ref).abs().max() / ref.abs().max()).item()
    print(f'  sigmoid_focal_loss: max relative |CUDA - formula| = {err:.2e} (tolerance 1e-5)')
    if err > 1e-5:
        problems.append(f'sigmoid_focal_loss: CUDA differs from the formula by {err:.2e}')
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--arch', help='archs the build must hold, e.g. "9.0" or "8.0;9.0"')
    group.add_argument('--cpu-only', action='store_true',
                       help='the build must hold no CUDA code (the default setup)')
    parser.add_argument('--compare-cuda', action='store_true',
                        help='on a GPU: also run the three ops on CUDA against the CPU')
    args = parser.parse_args(argv)
    so = extension_path()
    print(f'extension: {so}')
    archs, lines = cubin_archs(so)
    for line in lines:
        print(f'  {line.strip()}')
    problems = []
    symbols = host_symbols(so)
    if args.cpu_only:
        if archs:
            problems.append(f'expected a CPU-only build but it holds cubins for {archs}')
        problems += [f'{op}: {sym} is compiled in a CPU-only build' for op, sym, _ in OPS
                     if sym in symbols]
    else:
        wanted = [f"sm_{a.replace('+PTX', '').replace('.', '').strip()}"
                  for a in re.split(r'[;\s]+', args.arch) if a.strip()]
        missing = [a for a in wanted if a not in archs]
        if missing:
            problems.append(f'no cubin for {missing} (the build holds {archs or "none"}): '
                            'rebuild with TORCH_CUDA_ARCH_LIST set to them')
        kernels = kernel_symbols(so)
        for op, sym, kernel in OPS:
            host = sym in symbols
            device = kernel in kernels
            print(f'  {op}: host launcher {sym}: {"yes" if host else "NO"}; '
                  f'kernel *{kernel}*: {"yes" if device else "NO"}')
            if not (host and device):
                problems.append(f'{op}: CUDA code missing (launcher {host}, kernel {device})')
    problems += cpu_ops_work()
    if args.compare_cuda:
        problems += cuda_equals_cpu()
    print('  CPU ops nms, roi_align: ' + ('ok' if not problems else 'see below'))
    for problem in problems:
        print(f'FAIL: {problem}')
    print('ok' if not problems else f'{len(problems)} problem(s)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
