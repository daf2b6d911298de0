"""A training run killed at any moment resumes to exactly where an uninterrupted run goes.

Through ``tools/train.py`` in subprocesses, on the segmentation demo shrunk to seconds
(``configs/fcn_tiny_resume.py``: checkpoint every 2 iterations, only the newest kept,
random augmentation on, deterministic).  The interrupted chain:

1. SIGKILL right after iteration 3 (``iter_2.pth`` is the newest checkpoint);
2. ``--resume``, SIGKILL with half of ``iter_4.pth`` written;
3. ``--resume`` again, to the end (6 iterations).

Upstream mmengine 0.10.7 loses everything at step 2: it deletes ``iter_2.pth``
(``max_keep_ckpts=1``) before writing ``iter_4.pth`` in place, so step 3 finds only a
truncated file.  ``hrnet_mm.compat`` writes atomically and deletes after the save.
"""
import signal
import zipfile

import pytest
import torch

from _train_runs import (CONFIGS, describe, finish, load, start_train, train,
                         with_crash_helpers)

CONFIG = CONFIGS / 'fcn_tiny_resume.py'
MAX_ITERS = 6  # as in the config


def killed(proc) -> bool:
    return proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_killed_mid_run_and_mid_save_resumes_exactly(tmp_path):
    # One thread per process: the uninterrupted run goes beside the chain on 2 cores, and
    # every run computes with the same thread count (CPU kernels split work by threads).
    threads = dict(OMP_NUM_THREADS=1, MKL_NUM_THREADS=1)
    reference = start_train(CONFIG, tmp_path / 'uninterrupted', **threads)
    config = with_crash_helpers(CONFIG, tmp_path)
    work_dir = tmp_path / 'work'

    first = train(config, work_dir, CRASH_AT_ITER=3, **threads)
    assert killed(first), describe(first)
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_2.pth']

    second = train(config, work_dir, '--resume', CRASH_DURING_SAVE='iter_4.pth', **threads)
    assert killed(second), describe(second)
    assert 'resumed epoch: 0, iter: 2' in second.stdout + second.stderr
    # The kill left half a checkpoint on disk, but never under a name resume would pick.
    partial = [p for p in work_dir.iterdir() if 'iter_4.pth' in p.name]
    assert partial and all(not zipfile.is_zipfile(p) for p in partial)
    assert not (work_dir / 'iter_4.pth').exists()
    assert (work_dir / 'iter_2.pth').exists()  # the old one is deleted only after a save
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')

    third = train(config, work_dir, '--resume', **threads)
    assert third.returncode == 0, describe(third)
    assert 'resumed epoch: 0, iter: 2' in third.stdout + third.stderr
    assert sorted(p.name for p in work_dir.iterdir() if '.pth' in p.name) == [
        f'iter_{MAX_ITERS}.pth']  # max_keep_ckpts=1 honoured, temp leftovers gone

    reference = finish(reference)
    assert reference.returncode == 0, describe(reference)
    assert_same_training_state(load(work_dir / f'iter_{MAX_ITERS}.pth'),
                               load(tmp_path / 'uninterrupted' / f'iter_{MAX_ITERS}.pth'))


def assert_same_training_state(got, want, atol=1e-6):
    assert got['meta']['iter'] == want['meta']['iter'] == MAX_ITERS
    assert got['state_dict'].keys() == want['state_dict'].keys()
    for key, value in want['state_dict'].items():
        diff = (got['state_dict'][key].double() - value.double()).abs().max().item()
        assert diff <= atol, f'{key} differs by {diff}'
    got_opt, want_opt = got['optimizer'], want['optimizer']
    assert got_opt['param_groups'] == want_opt['param_groups']
    assert got_opt['state'].keys() == want_opt['state'].keys()
    for idx, state in want_opt['state'].items():
        for name, value in state.items():
            assert torch.allclose(got_opt['state'][idx][name], value, rtol=0, atol=atol), \
                (idx, name)
    assert got['param_schedulers'] == want['param_schedulers']
    # Every iteration's loss, logged across three processes, equals the uninterrupted log.
    got_loss = got['message_hub']['log_scalars']['train/loss']._log_history
    want_loss = want['message_hub']['log_scalars']['train/loss']._log_history
    assert len(got_loss) == len(want_loss) == MAX_ITERS
    assert max(abs(a - b) for a, b in zip(got_loss, want_loss)) <= atol


def test_resume_at_the_end_validates_again_instead_of_reporting_stale_metrics(tmp_path):
    """Killed during the final validation: the checkpoint at max_iters is on disk, its
    message hub holds an earlier validation's metrics.  --resume validates again."""
    import re

    import torch
    work_dir = tmp_path / 'work'
    config = CONFIGS / 'fcn_tiny_val.py'
    done = train(config, work_dir, OMP_NUM_THREADS=1)
    assert done.returncode == 0, describe(done)
    final = re.search(r'^final metrics: (.*)$', done.stdout, re.M).group(1)
    # What the checkpoint would hold had the final validation not finished: older metrics.
    last = work_dir / 'iter_6.pth'
    ckpt = torch.load(last, weights_only=False)
    for key, buffer in ckpt['message_hub']['log_scalars'].items():
        if key.startswith('val/') and key not in ('val/time', 'val/data_time'):
            buffer.update(12.34)
    torch.save(ckpt, last)
    resumed = train(config, work_dir, '--resume', OMP_NUM_THREADS=1)
    assert resumed.returncode == 0, describe(resumed)
    assert 'validating now' in resumed.stderr, describe(resumed)
    again = re.search(r'^final metrics: (.*)$', resumed.stdout, re.M).group(1)
    assert '12.34' not in again and again == final, (again, final)
