"""hrnet_mm.compat: each shim is applied only to the upstream release it patches, once,
on request; another release is warned about, naming what was left out."""
import subprocess
import sys

import pytest

from hrnet_mm import compat
from hrnet_mm.compat import Shim, apply_shims, installed_version
from hrnet_mm.compat import mmcv as compat_mmcv
from hrnet_mm.compat import mmengine as compat_mmengine
from hrnet_mm.compat import mmseg as compat_mmseg

MODULES = (compat_mmengine, compat_mmcv, compat_mmseg)
DISTRIBUTIONS = {compat_mmengine: 'mmengine', compat_mmcv: 'mmcv',
                 compat_mmseg: 'mmsegmentation'}


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__)
def test_each_shim_names_its_upstream_problem_and_release(module):
    assert module.__name__.rsplit('.', 1)[1] in DISTRIBUTIONS[module]
    # The setup pins exactly the releases the shims patch.
    assert installed_version(DISTRIBUTIONS[module]) == module.PATCHES
    for shim in module.SHIMS:
        assert shim.name.startswith(module.__name__.rsplit('.', 1)[1] + '.')
        assert module.PATCHES in shim.problem, (shim.name, shim.problem)


def fake_shims(log):
    return [Shim(f'fake.s{i}', f'fake 1.0 problem {i}', lambda i=i: log.append(i))
            for i in range(2)]


def test_applied_once_and_only_to_the_patched_release():
    log = []
    shims = fake_shims(log)
    with pytest.warns(UserWarning, match=r'fake 2\.0 is installed; .*fake 1\.0 were not '
                      r'applied \(fake\.s0, fake\.s1\)\. Install fake==1\.0'):
        assert apply_shims('fake', '1.0', shims, installed='2.0') == []
    assert log == [] and 'fake.s0' in compat.skipped()
    # once skipped, not warned about again
    assert apply_shims('fake', '1.0', shims, installed='2.0') == []

    log2 = []
    others = [Shim(f'other.s{i}', 'x', lambda i=i: log2.append(i)) for i in range(2)]
    assert apply_shims('other', '1.0', others, installed='1.0') == ['other.s0', 'other.s1']
    assert apply_shims('other', '1.0', others, installed='1.0') == []  # idempotent
    assert log2 == [0, 1] and compat.applied()['other.s1'] == '1.0'


def test_an_absent_package_is_left_out_quietly(recwarn):
    assert apply_shims('not-installed-dist', '1.0', [Shim('absent.s', 'x', lambda: 1 / 0)]) == []
    assert not [w for w in recwarn if 'not-installed-dist' in str(w.message)]
    assert 'not installed' in compat.skipped()['absent.s']


PROBE = r'''
import warnings
from hrnet_mm import compat
names = compat.apply_all()
assert names and compat.apply_all() == [], 'apply_all is idempotent'
from mmengine.fileio.backends.local_backend import LocalBackend
from mmcv.transforms import LoadImageFromFile
from mmseg.visualization import SegLocalVisualizer
assert LocalBackend.put.__module__ == 'hrnet_mm.compat.mmengine'
assert LoadImageFromFile.transform.__module__ == 'hrnet_mm.compat.mmcv'
assert SegLocalVisualizer._get_center_loc.__module__ == 'hrnet_mm.compat.mmseg'
print(len(names))
'''


def test_apply_all_installs_every_shim_of_the_pinned_releases():
    proc = subprocess.run([sys.executable, '-c', PROBE], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout) == sum(len(m.SHIMS) for m in MODULES)
