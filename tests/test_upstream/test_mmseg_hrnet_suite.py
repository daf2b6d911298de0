"""MMSegmentation's own HRNet unit tests, unchanged, pass against hrnet_mm.

The test file is taken at test time from mmseg's PyPI sdist (pinned version and sha256,
cached like the demo data; never committed) and run in a subprocess whose ``HRNet``,
``HRModule``, ``BasicBlock`` and ``Bottleneck`` are hrnet_mm's (upstream_hrnet_plugin.py).
"""
import os
import subprocess
import sys
from pathlib import Path

from hrnet_mm.devtools.demo_data import Archive, PackageSource, default_cache_dir, \
    fetch_package

HERE = Path(__file__).resolve().parent
MMSEG_SDIST = PackageSource(
    'mmsegmentation', '1.2.2', 'mmsegmentation-1.2.2.tar.gz',
    '35dbd8089fd1c2baa467d3b7c2e1b197043f4f955ad5de8005170eee469102ec', True)
MMSEG_HRNET_TEST = 'tests/test_models/test_backbones/test_hrnet.py'


def upstream_test_file(src: PackageSource, member: str, dest: Path) -> Path:
    with Archive(fetch_package(src, default_cache_dir()), src) as archive:
        text = archive.read_text(member)
    path = dest / Path(member).name
    path.write_text(text)
    return path


def run_upstream(test_file: Path, scope: str, cwd: Path):
    (cwd / 'pytest.ini').write_text('[pytest]\n')  # none of this repository's settings
    env = dict(os.environ, HRNET_MM_UPSTREAM_SCOPE=scope, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get('PYTHONPATH', '')]))
    return subprocess.run(
        [sys.executable, '-m', 'pytest', str(test_file), '-p', 'upstream_hrnet_plugin',
         '-p', 'no:cacheprovider', '-q', '-s', '-c', str(cwd / 'pytest.ini'),
         '--rootdir', str(cwd)],
        cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)


def test_mmseg_test_hrnet_passes_against_hrnet_mm(tmp_path):
    test_file = upstream_test_file(MMSEG_SDIST, MMSEG_HRNET_TEST, tmp_path)
    assert 'from mmseg.models.backbones.hrnet import HRModule, HRNet' in test_file.read_text()
    proc = run_upstream(test_file, 'mmseg', tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert '3 tests run against hrnet_mm classes' in proc.stdout, proc.stdout[-3000:]
    assert '3 passed' in proc.stdout, proc.stdout[-3000:]
