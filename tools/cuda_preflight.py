#!/usr/bin/env python
"""Checks, before mmcv's CUDA ops are built, what would make that build fail.

Run by ``tools/setup_env.sh`` when ``FORCE_CUDA=1`` (after torch is installed, before
the 20-90 minute build), with the venv's python::

    python tools/cuda_preflight.py --arch "9.0"        # exit 0: go; 1: one line per problem

It checks, each with the fix in one line:

* nvcc is missing (torch's extension builder looks in ``$CUDA_HOME/bin``, then ``PATH``,
  then ``/usr/local/cuda/bin``);
* torch is a CPU build, or nvcc's CUDA major version is not torch's (torch's
  ``cpp_extension`` refuses a major mismatch; a minor one only warns);
* an arch in ``TORCH_CUDA_ARCH_LIST`` that this nvcc cannot target (``nvcc --list-gpu-arch``;
  CUDA 13 dropped everything below 7.5);
* the host C++ compiler is older than GCC 10 (torch >= 2.14 headers need C++20);
* torch's CUDA headers include cuSPARSE/cuBLAS headers (``ATen/cuda/CUDAContextLight.h``
  includes ``cusparse.h``) that a minimal toolkit (nvcc + cudart) lacks, while pip's CUDA
  torch ships them in its ``nvidia`` wheels.

With ``--shell`` it prints, on stdout, the ``export`` lines the build then needs:
``CUDA_HOME`` as the toolkit's real root (torch guesses it from nvcc's location, and a
wrapper such as ``/usr/local/bin/nvcc`` makes that ``/usr/local``, without the headers), and
``CPATH`` with the ``nvidia`` wheels' include folders when the toolkit has no cusparse.h.

Self-contained on purpose: it runs before hrnet_mm is installed, so it imports only the
standard library and torch.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
from typing import List, Optional, Tuple

MIN_GCC = 10  # the first GCC with usable -std=c++20 (concepts, <span>)


def find_nvcc() -> Optional[str]:
    """Where torch's extension builder will find nvcc (torch.utils.cpp_extension's order)."""
    home = os.environ.get('CUDA_HOME') or os.environ.get('CUDA_PATH')
    if home:
        path = os.path.join(home, 'bin', 'nvcc')
        return path if os.path.isfile(path) else None
    return shutil.which('nvcc') or (
        '/usr/local/cuda/bin/nvcc' if os.path.isfile('/usr/local/cuda/bin/nvcc') else None)


def _run(cmd: List[str]) -> str:
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f'<{exc}>'


def nvcc_version(nvcc: str) -> Optional[Tuple[int, int]]:
    match = re.search(r'release (\d+)\.(\d+)', _run([nvcc, '--version']))
    return (int(match[1]), int(match[2])) if match else None


def toolkit_root(nvcc: str) -> Optional[str]:
    """The toolkit nvcc really belongs to (``TOP`` in ``nvcc --dryrun``), through wrappers."""
    match = re.search(r'^#\$ TOP=(.+)$', _run([nvcc, '--dryrun', '-c', 'x.cu', '-o', 'x.o']),
                      re.M)  # a dry run compiles nothing: x.cu need not exist
    if match:
        return os.path.realpath(match[1].strip().strip('"'))
    return os.path.dirname(os.path.dirname(os.path.realpath(nvcc)))


def math_include_dirs() -> List[str]:
    """Include folders of pip's CUDA library wheels (``nvidia/cu13/include``, or one per
    library for CUDA 12's ``nvidia/cusparse/include`` layout) that hold the headers."""
    try:
        import nvidia  # namespace package of the nvidia-* wheels torch depends on
    except ImportError:
        return []
    found = []
    for base in list(nvidia.__path__):
        for name in sorted(os.listdir(base)):
            include = os.path.join(base, name, 'include')
            if os.path.isdir(include) and any(
                    os.path.isfile(os.path.join(include, h)) for h in ('cusparse.h', 'cublas_v2.h',
                                                                       'cusolverDn.h', 'curand.h')):
                found.append(include)
    return found


def has_header(dirs: List[str], header: str = 'cusparse.h') -> bool:
    return any(os.path.isfile(os.path.join(d, header)) for d in dirs)


def nvcc_archs(nvcc: str) -> List[str]:
    """``['7.5', '8.0', ...]`` from ``nvcc --list-gpu-arch`` (``compute_75`` ...)."""
    found = re.findall(r'compute_(\d+)(\d)\b', _run([nvcc, '--list-gpu-arch']))
    return [f'{major}.{minor}' for major, minor in sorted({(int(a), int(b)) for a, b in found})]


def cxx_version(cxx: str) -> Optional[Tuple[str, int]]:
    """(``'gcc'``/``'clang'``, major) of the host compiler, or None if it does not run."""
    out = _run([cxx, '--version'])
    if out.startswith('<'):
        return None
    kind = 'clang' if 'clang' in out.lower() else 'gcc'
    major = _run([cxx, '-dumpversion']).strip().split('.')[0]
    return (kind, int(major)) if major.isdigit() else None


def parse_arch_list(text: str) -> List[str]:
    """``"8.0;8.6 9.0+PTX"`` -> ``['8.0', '8.6', '9.0']`` (what nvcc must target)."""
    return [a.replace('+PTX', '').strip() for a in re.split(r'[;\s]+', text) if a.strip()]


def problems(nvcc: Optional[str], nvcc_ver: Optional[Tuple[int, int]],
             torch_cuda: Optional[str], archs: List[str], supported: List[str],
             cxx: Optional[Tuple[str, int]], cxx_name: str = 'c++') -> List[str]:
    """One line per problem (empty: the build can start).  Pure, so tests can fake any
    environment."""
    out = []
    if torch_cuda is None:
        out.append('FORCE_CUDA=1 but the installed torch is a CPU build (torch.version.cuda '
                   'is None): install a CUDA build of torch (TORCH_SPEC), or unset FORCE_CUDA')
    if nvcc is None:
        out.append('FORCE_CUDA=1 but nvcc was not found (looked in $CUDA_HOME/bin, PATH and '
                   '/usr/local/cuda/bin): install the CUDA toolkit '
                   f"{torch_cuda or ''} and put its bin/ on PATH, or set CUDA_HOME")
    elif nvcc_ver is None:
        out.append(f'{nvcc} --version printed no "release X.Y": is it a working CUDA toolkit?')
    elif torch_cuda is not None:
        want = tuple(int(x) for x in torch_cuda.split('.')[:2])
        if nvcc_ver[0] != want[0]:
            out.append(f'nvcc {nvcc_ver[0]}.{nvcc_ver[1]} ({nvcc}) does not match torch\'s CUDA '
                       f'{torch_cuda}, and torch refuses to build extensions across CUDA major '
                       f'versions: install CUDA toolkit {want[0]}.x and set CUDA_HOME to it, '
                       f'or install a torch built for CUDA {nvcc_ver[0]}.x (TORCH_SPEC)')
    if not archs:
        out.append('TORCH_CUDA_ARCH_LIST is empty and no GPU is visible: set it to the '
                   'compute capability of the GPUs that will run the ops, e.g. '
                   'TORCH_CUDA_ARCH_LIST="9.0" (H100/H200) or "8.0;8.6;9.0"')
    elif nvcc is not None and supported:
        bad = [a for a in archs if a not in supported]
        if bad:
            out.append(f'TORCH_CUDA_ARCH_LIST has {bad}, which this nvcc cannot target (it '
                       f'targets {supported[0]}..{supported[-1]}): drop them, or use an older '
                       'CUDA toolkit (and a torch built for it) for those GPUs')
    if cxx is None:
        out.append(f'the C++ compiler {cxx_name!r} does not run: install g++ >= {MIN_GCC} '
                   '(Debian/Ubuntu: apt-get install g++), or set CXX')
    elif cxx[0] == 'gcc' and cxx[1] < MIN_GCC:
        out.append(f'{cxx_name} is GCC {cxx[1]}, too old for C++20 (torch >= 2.14 headers need '
                   f'it): install g++ >= {MIN_GCC} and set CXX=g++-{MIN_GCC} (or newer)')
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', default=os.environ.get('TORCH_CUDA_ARCH_LIST', ''),
                        help='the arch list to build for (default: $TORCH_CUDA_ARCH_LIST)')
    parser.add_argument('--shell', action='store_true',
                        help='print the export lines the build needs (CUDA_HOME, CPATH)')
    args = parser.parse_args(argv)
    try:
        import torch
        torch_cuda = torch.version.cuda
    except ImportError:
        print('cuda preflight: torch is not installed in this python', file=sys.stderr)
        return 1
    nvcc = find_nvcc()
    cxx_name = os.environ.get('CXX', 'c++')
    found = problems(nvcc, nvcc_version(nvcc) if nvcc else None, torch_cuda,
                     parse_arch_list(args.arch), nvcc_archs(nvcc) if nvcc else [],
                     cxx_version(cxx_name), cxx_name)
    exports = []
    if not found:
        root = os.environ.get('CUDA_HOME') or toolkit_root(nvcc)
        include = [os.path.join(root, 'include'),
                   os.path.join(root, 'targets', 'x86_64-linux', 'include')]
        if not has_header(include):
            extra = math_include_dirs()
            if not has_header(extra):
                found.append(f'cusparse.h (included by torch\'s ATen/cuda headers) is neither '
                             f'in the toolkit at {root} nor in torch\'s nvidia wheels: install '
                             'the full CUDA toolkit (with cuSPARSE/cuBLAS development headers)')
            exports.append('export CPATH=' + os.pathsep.join(
                extra + ([os.environ['CPATH']] if os.environ.get('CPATH') else [])))
        exports.insert(0, f'export CUDA_HOME={root}')
    for line in found:
        print(f'[setup] ERROR: {line}', file=sys.stderr)
    if not found:
        ver = nvcc_version(nvcc)
        print(f'[setup]   CUDA preflight ok: nvcc {ver[0]}.{ver[1]} ({nvcc}), torch CUDA '
              f'{torch_cuda}, archs {parse_arch_list(args.arch)}, {cxx_name} '
              f'{cxx_version(cxx_name)[1]}', file=sys.stderr)
        for line in exports:
            print(f'[setup]   {line}', file=sys.stderr)
        if args.shell:
            print('\n'.join(exports))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
