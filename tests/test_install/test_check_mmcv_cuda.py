"""tools/check_mmcv_cuda.py on the default (CPU-ops) install: it proves the extension holds
no CUDA code, that the CPU ops answer right, and it refuses to call this build a CUDA one.
(The CUDA build's own run is quoted in the README: it takes an hour on 2 cores.)"""
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'check_mmcv_cuda.py'


def run(*args):
    proc = subprocess.run([sys.executable, str(TOOL), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    return proc.returncode, proc.stdout


def test_cpu_build_is_recognised_and_its_ops_work():
    rc, out = run('--cpu-only')
    assert rc == 0, out
    assert 'CPU ops nms, roi_align: ok' in out and out.strip().endswith('ok')


def test_cpu_build_is_not_passed_off_as_a_cuda_build():
    rc, out = run('--arch', '9.0')
    assert rc == 1
    assert "no cubin for ['sm_90']" in out
    assert 'nms: CUDA code missing' in out
