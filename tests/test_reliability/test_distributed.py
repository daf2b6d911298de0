"""``tools/dist_train.sh`` / ``dist_test.sh`` (torchrun, gloo) on CPU processes.

Two processes with batch 1 must make exactly the update of one process with batch 2
(``configs/fcn_tiny_dist.py`` explains why that holds for that config), and testing
with two processes must give the metrics and predictions of ``tools/test.py``.
Upstream mmengine 0.10.7 cannot start at all here: it calls ``torch.cuda.set_device``
and passes ``device_ids`` to DDP for a CPU model (shims 5 and 6 in hrnet_mm.compat).
"""
import pickle
import re
import socket

import pytest
import torch

from _train_runs import CONFIGS, PYTHON, describe, load, run, train

CONFIG = CONFIGS / 'fcn_tiny_dist.py'
GLOO = 'env_cfg.dist_cfg.backend=gloo'
METRIC = re.compile(r'Iter\(test\) \[\d+/\d+\]\s+(aAcc: .*?)\s+data_time')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist(script, *args, timeout=300):
    return run(['bash', f'tools/{script}', *args], timeout=timeout, PORT=free_port(),
               PYTHON=PYTHON)


def metrics(proc) -> str:
    found = METRIC.findall(proc.stdout + proc.stderr)
    assert found, describe(proc)
    return found[-1]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(single-process work_dir, torchrun work_dir) after 3 iterations of each."""
    single = tmp_path_factory.mktemp('single')
    proc = train(CONFIG, single)
    assert proc.returncode == 0, describe(proc)
    two = tmp_path_factory.mktemp('torchrun')
    proc = dist('dist_train.sh', CONFIG, 2, '--work-dir', two, '--cfg-options', GLOO,
                'train_dataloader.batch_size=1')
    assert proc.returncode == 0, describe(proc)
    assert 'Distributed training: True' in proc.stdout + proc.stderr
    return single, two


@pytest.mark.slow
def test_torchrun_two_processes_equal_one_process_with_the_same_batch(trained):
    single, two = (load(d / 'iter_3.pth') for d in trained)
    assert single['meta']['iter'] == two['meta']['iter'] == 3
    for key, value in single['state_dict'].items():
        diff = (two['state_dict'][key] - value).abs().max().item()
        assert diff <= 1e-5, f'{key} differs by {diff}'
    # The updates were far larger than the tolerance, so the comparison means something.
    momentum = max(s['momentum_buffer'].abs().max().item()
                   for s in single['optimizer']['state'].values())
    assert momentum > 1e-2


@pytest.mark.slow
def test_dist_test_gives_the_metrics_and_predictions_of_test_py(trained, tmp_path):
    checkpoint = trained[1] / 'iter_3.pth'
    one = run([PYTHON, 'tools/test.py', CONFIG, checkpoint, '--work-dir', tmp_path / 'one',
               '--out', tmp_path / 'one.pkl'])
    assert one.returncode == 0, describe(one)
    two = dist('dist_test.sh', CONFIG, checkpoint, 2, '--work-dir', tmp_path / 'two',
               '--out', tmp_path / 'two.pkl', '--cfg-options', GLOO)
    assert two.returncode == 0, describe(two)
    assert metrics(one) == metrics(two)
    preds = [pickle.loads((tmp_path / f'{n}.pkl').read_bytes()) for n in ('one', 'two')]
    assert len(preds[0]) == len(preds[1]) == 4  # every val image, gathered from both ranks
    by_image = [{p['img_path']: p['pred_sem_seg']['data'] for p in ps} for ps in preds]
    assert by_image[0].keys() == by_image[1].keys()
    for path, seg in by_image[0].items():
        assert torch.equal(seg, by_image[1][path]), path


def test_nccl_without_cuda_names_the_fix(tmp_path):
    # The config inherits mmseg's nccl; the check runs before torch.distributed starts.
    proc = run([PYTHON, 'tools/train.py', CONFIG, '--work-dir', tmp_path, '--launcher',
                'pytorch'], timeout=120, CUDA_VISIBLE_DEVICES='')
    assert proc.returncode == 2, describe(proc)
    assert "backend='nccl' needs CUDA GPUs" in proc.stderr
    assert '--cfg-options env_cfg.dist_cfg.backend=gloo' in proc.stderr
