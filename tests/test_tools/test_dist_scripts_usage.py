"""tools/dist_train.sh and tools/dist_test.sh refuse too few arguments with a usage line.

(The real torchrun runs are covered in tests/test_reliability.)"""
import subprocess

import pytest

from tool_runner import REPO


def _bash(*args):
    return subprocess.run(['bash', *map(str, args)], cwd=str(REPO), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60,
                          # a PYTHON that cannot start: a usage error must come first
                          env={'PATH': '/usr/bin:/bin', 'PYTHON': '/nonexistent/python'})


@pytest.mark.parametrize('args', [(), ('configs/demo/faster-rcnn_hrnetv2p-w18_demo.py',)])
def test_dist_train_usage(args):
    proc = _bash('tools/dist_train.sh', *args)
    assert proc.returncode == 2
    assert 'usage:' in proc.stderr and 'CONFIG GPUS' in proc.stderr
    assert proc.stdout == ''


@pytest.mark.parametrize('args', [(), ('CONFIG',), ('CONFIG', 'CKPT')])
def test_dist_test_usage(args):
    proc = _bash('tools/dist_test.sh', *args)
    assert proc.returncode == 2
    assert 'usage:' in proc.stderr and 'CONFIG CHECKPOINT GPUS' in proc.stderr
    assert proc.stdout == ''


def test_dist_train_passes_its_arguments_on():
    """Control for the usage tests: with enough arguments the script gets past the usage
    check and runs $PYTHON (here one that does not exist, so it fails at once)."""
    proc = _bash('tools/dist_train.sh', 'CONFIG', '1')
    assert proc.returncode != 0 and proc.returncode != 2
    assert 'usage:' not in proc.stderr and '/nonexistent/python' in proc.stderr
