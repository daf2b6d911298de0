"""A checkpoint written by mmengine's Runner resumes under the installed torch.

mmengine 0.10.7 loads checkpoints with a bare ``torch.load``; torch >= 2.6 defaults to
``weights_only=True`` and rejects what a training run stores beside the weights (message
hub, history buffers, numpy scalars).  ``hrnet_mm.compat`` restores the loading.
"""
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import DataLoader, TensorDataset

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)


class TinyRegressor(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, inputs, targets, mode='loss'):
        loss = (self.linear(inputs) - targets).square().mean()
        return dict(loss=loss) if mode == 'loss' else [loss]


def make_runner(work_dir, max_iters, name, resume=False):
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(32, 4, generator=gen), torch.randn(32, 1, generator=gen))
    loader = DataLoader(data, batch_size=4, shuffle=False,
                        collate_fn=lambda batch: dict(inputs=torch.stack([b[0] for b in batch]),
                                                      targets=torch.stack([b[1] for b in batch])))
    return Runner(
        model=TinyRegressor(), work_dir=str(work_dir), experiment_name=name,
        train_dataloader=loader,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[3], by_epoch=False, end=1000),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        resume=resume, randomness=dict(seed=0), default_scope='mmengine')


def test_runner_checkpoint_resumes(tmp_path):
    first = make_runner(tmp_path, max_iters=4, name='first')
    first.train()
    ckpt = tmp_path / 'iter_4.pth'
    assert ckpt.is_file()
    if tuple(int(v) for v in torch.__version__.split('.')[:2]) >= (2, 6):
        # The upstream problem the shim fixes: a weights-only load refuses the checkpoint.
        with pytest.raises(pickle.UnpicklingError):
            torch.load(ckpt, weights_only=True)

    second = make_runner(tmp_path, max_iters=6, name='second', resume=True)
    second.train()
    assert second.iter == 6
    history = second.message_hub.get_scalar('train/loss')
    # 4 logged losses from the first run came back with the checkpoint, 2 new ones added.
    assert len(history.data[0]) == 6
    scheduler = second.param_schedulers[0]
    assert scheduler.last_step == 6
    assert second.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.01)
