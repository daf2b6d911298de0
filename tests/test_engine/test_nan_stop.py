"""The NaN stop names the newest checkpoint saved before the loss exploded, not merely the
last one (which had often begun to diverge, and diverges again when resumed)."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.runner import IterBasedTrainLoop

from hrnet_mm.engine.hooks import NonFiniteLossHook
from hrnet_mm.errors import NonFiniteLossError


def run(hook, work_dir, losses, saved):
    """Feeds ``losses`` (iterations 1..n) to the hook, saving iter_N.pth where listed."""
    loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    for i, loss in enumerate(losses):
        if i + 1 in saved:
            torch.save({'state_dict': {}}, work_dir / f'iter_{i + 1}.pth')
        runner = SimpleNamespace(iter=i, work_dir=str(work_dir), train_loop=loop, epoch=0)
        hook.after_train_iter(runner, i, outputs=dict(loss=torch.tensor(loss)))


def test_names_the_last_checkpoint_before_the_loss_exploded(tmp_path):
    hook = NonFiniteLossHook()
    with pytest.raises(NonFiniteLossError) as info:
        run(hook, tmp_path, [2.0, 1.5, 1.2, 1.0, 500.0, 2.8e10, float('nan')], saved={2, 4, 6})
    message = str(info.value)
    assert 'not finite at iteration 7: loss=nan' in message
    assert f'sane is {tmp_path / "iter_4.pth"} (iteration 4, loss 1)' in message
    assert f'--resume {tmp_path / "iter_4.pth"}' in message
    assert 'iter_6' not in message  # saved at loss 2.8e10: finite, but diverged


def test_says_when_no_checkpoint_is_sane(tmp_path):
    # iter_1 (loss 1) was cut short by a kill; iter_3 was saved after the loss exploded
    (tmp_path / 'iter_1.pth').write_bytes(b'PK\x03\x04 cut short')
    with pytest.raises(NonFiniteLossError, match='No checkpoint was saved while the loss was '
                       'sane: restart from scratch'):
        run(NonFiniteLossHook(), tmp_path, [1.0, 1e5, 1e9, float('inf')], saved={3})
