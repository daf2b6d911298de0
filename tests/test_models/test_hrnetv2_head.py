"""HRNetV2Head: mmseg's HRNetV2 FCNHead with its 1x1 conv per low-resolution branch -- the
same function (to 1e-5 of the output's scale), the same state_dict, 9/40 of the conv's
work."""
import pytest
import torch

import hrnet_mm.plugin  # noqa: F401  (registers HRNetV2Head into mmseg)
from helpers import randomize
from hrnet_mm.deploy import max_relative_error

HEAD = dict(in_channels=[48, 96, 192, 384], in_index=(0, 1, 2, 3), channels=720,
            input_transform='resize_concat', kernel_size=1, num_convs=1, concat_input=False,
            dropout_ratio=-1, num_classes=19, norm_cfg=dict(type='BN', requires_grad=True))


def pair(**kwargs):
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmseg'):
        theirs = randomize(MODELS.build(dict(HEAD, type='FCNHead', **kwargs)), seed=2)
        ours = MODELS.build(dict(HEAD, type='HRNetV2Head', **kwargs))
    assert ours.load_state_dict(theirs.state_dict()) is not None  # strict: same keys
    assert set(ours.state_dict()) == set(theirs.state_dict())
    return ours.eval(), theirs.eval()


@pytest.mark.parametrize('align_corners', [False, True])
@pytest.mark.parametrize('size', [(32, 64), (30, 45)])  # 1024x2048 / 32, and an odd one
def test_equals_mmsegs_fcn_head(align_corners, size):
    ours, theirs = pair(align_corners=align_corners)
    assert ours.per_branch
    h, w = size
    xs = [torch.randn(1, c, -(-h // 2**i), -(-w // 2**i)) for i, c in enumerate(HEAD['in_channels'])]
    with torch.no_grad():
        err = max_relative_error(ours(xs), theirs(xs))
    assert err <= 1e-5, err


def test_other_settings_run_fcn_heads_own_forward():
    ours, theirs = pair(kernel_size=3)
    assert not ours.per_branch
    xs = [torch.randn(1, c, 16 // 2**i, 16 // 2**i) for i, c in enumerate(HEAD['in_channels'])]
    with torch.no_grad():
        assert torch.equal(ours(xs), theirs(xs))


def test_under_a_quarter_of_the_first_convs_work():
    """W48 at 1024x2048 (branches at 1/4 ... 1/32): the 720 -> 720 conv's 67.9 GMACs
    become (48 + 96 + 192/16 + 384/64) / 720 of them, 15.3 GMACs."""
    from hrnet_mm.devtools.analysis.complexity import count_macs
    ours, theirs = pair()
    xs = [torch.randn(1, c, 256 // 2**i, 512 // 2**i) for i, c in enumerate(HEAD['in_channels'])]
    counts = [count_macs(m, lambda m=m: m(xs)).total for m in (theirs, ours)]
    first = 720 * 720 * 256 * 512
    assert counts[0] - counts[1] == first - 162 * 720 * 256 * 512
    assert round(first / 1e9, 1) == 67.9 and round(162 * 720 * 256 * 512 / 1e9, 1) == 15.3
