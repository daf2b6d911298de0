"""tools/cuda_preflight.py: what would break mmcv's CUDA build is reported before it
starts, one line each with the fix.  Each check runs against a faked environment: stub
``nvcc`` / ``c++`` scripts on PATH that print another version."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'cuda_preflight.py'
ARCHS = ' '.join(f'compute_{a}' for a in (75, 80, 86, 87, 89, 90, 100, 120))


def stub(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text('#!/bin/sh\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def fake_nvcc(folder: Path, release: str, archs: str = ARCHS) -> Path:
    return stub(folder, 'nvcc', f'''case "$1" in
  --version) echo "Cuda compilation tools, release {release}, V{release}.1";;
  --list-gpu-arch) for a in {archs}; do echo $a; done;;
esac
''')


def fake_cxx(folder: Path, major: int) -> Path:
    return stub(folder, 'c++', f'''case "$1" in
  --version) echo "c++ (GCC) {major}.3.0";;
  -dumpversion) echo "{major}.3.0";;
esac
''')


def run(tmp_path, arch='9.0', nvcc_release=None, gcc=12):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    if nvcc_release:
        fake_nvcc(bin_dir, nvcc_release)
    fake_cxx(bin_dir, gcc)
    env = {k: v for k, v in os.environ.items() if k not in ('CUDA_HOME', 'CUDA_PATH', 'CXX')}
    # Only the stubs and the basic system tools on PATH, so the real nvcc is not found.
    env['PATH'] = f'{bin_dir}{os.pathsep}/bin'
    if not nvcc_release:  # nowhere: CUDA_HOME, when set, is the only place looked in
        env['CUDA_HOME'] = str(tmp_path / 'no-cuda')
    proc = subprocess.run([sys.executable, str(TOOL), '--arch', arch], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


needs_cuda_torch = pytest.mark.skipif(torch.version.cuda is None,
                                      reason='the setup installs a CUDA build of torch')


@needs_cuda_torch
def test_matching_toolkit_passes(tmp_path):
    rc, out = run(tmp_path, nvcc_release=torch.version.cuda)
    assert rc == 0, out
    assert 'CUDA preflight ok' in out


@needs_cuda_torch
def test_nvcc_of_another_cuda_major_is_refused_with_the_fix(tmp_path):
    other = '12.4' if not torch.version.cuda.startswith('12.') else '11.8'
    rc, out = run(tmp_path, nvcc_release=other)
    assert rc == 1
    assert f'nvcc {other}' in out and f"torch's CUDA {torch.version.cuda}" in out
    assert 'set CUDA_HOME' in out and out.count('ERROR') == 1


def test_missing_nvcc_is_refused(tmp_path):
    rc, out = run(tmp_path, nvcc_release=None)
    assert rc == 1 and 'nvcc was not found' in out and 'CUDA_HOME' in out


@needs_cuda_torch
def test_an_arch_the_toolkit_cannot_target_is_refused(tmp_path):
    rc, out = run(tmp_path, arch='7.0;8.6;9.0+PTX', nvcc_release=torch.version.cuda)
    assert rc == 1 and "['7.0']" in out and 'cannot target' in out


@needs_cuda_torch
def test_no_arch_and_no_gpu_names_the_variable(tmp_path):
    rc, out = run(tmp_path, arch='', nvcc_release=torch.version.cuda)
    assert rc == 1 and 'TORCH_CUDA_ARCH_LIST="9.0"' in out


@needs_cuda_torch
def test_gcc_too_old_for_cxx20_is_refused(tmp_path):
    rc, out = run(tmp_path, nvcc_release=torch.version.cuda, gcc=9)
    assert rc == 1 and 'GCC 9, too old for C++20' in out


def test_problems_is_pure_and_lists_each_problem_once():
    sys.path.insert(0, str(TOOL.parent))
    try:
        import cuda_preflight as pre
    finally:
        sys.path.pop(0)
    assert pre.parse_arch_list('8.0;8.6 9.0+PTX') == ['8.0', '8.6', '9.0']
    ok = pre.problems('/x/nvcc', (13, 0), '13.0', ['9.0'], ['7.5', '9.0'], ('gcc', 12))
    assert ok == []
    cpu_torch = pre.problems('/x/nvcc', (13, 0), None, ['9.0'], ['9.0'], ('gcc', 12))
    assert len(cpu_torch) == 1 and 'CPU build' in cpu_torch[0]
    minor = pre.problems('/x/nvcc', (13, 1), '13.0', ['9.0'], ['9.0'], ('gcc', 12))
    assert minor == []  # torch only warns on a minor mismatch


def test_setup_script_runs_the_preflight_before_building():
    script = (REPO / 'tools' / 'setup_env.sh').read_text()
    preflight = script.index('tools/cuda_preflight.py')
    assert preflight < script.index('pip wheel')
