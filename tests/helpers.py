"""Helpers the test folders share (imported as ``helpers``; pytest.ini puts tests/ on the
path).  Fixtures live in conftest.py."""
import os
from pathlib import Path

import torch
from torch.nn.modules.batchnorm import _BatchNorm

REPO = Path(__file__).resolve().parents[1]
DEMO_ROOT = Path(os.environ.get('HRNET_MM_DEMO_ROOT', REPO / 'data' / 'demo'))


@torch.no_grad()
def randomize(model: torch.nn.Module, seed: int = 0, convs: bool = True) -> torch.nn.Module:
    """Non-trivial weights: BatchNorm statistics and affine parameters (a freshly built net
    has mean 0 / var 1 / weight 1 / bias 0, which would hide a folding or ordering error)
    and, with ``convs``, Kaiming conv weights and small conv biases.  In eval mode (set
    here, not chained: MMDet's ``HRNet.train()`` returns None)."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if convs and isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode='fan_out', generator=gen)
            if m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
        elif isinstance(m, _BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.2)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            if m.affine:
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.2)
    model.eval()
    return model
