"""Drop-in API parity with the toolboxes' HRNet modules: the error class their code
catches, the blocks' norm properties, and HRModule built with their constructor."""
import importlib

import pytest
import torch

import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
from hrnet_mm.errors import ConfigError
from hrnet_mm.models import HRNet
from hrnet_mm.models.backbones.hrnet import BasicBlock, Bottleneck
from hrnet_mm.registry import TOOLBOX_CLASSES
from test_equivalence import X, assert_same, build, randomize, w


def three_stages():
    extra = w(32)
    del extra['stage4']
    return extra


@pytest.mark.parametrize('catch', [AssertionError, ValueError, ConfigError])
def test_a_bad_extra_is_catchable_as_the_toolboxes_and_as_value_error(catch):
    with pytest.raises(catch, match="missing 'stage4'"):
        HRNet(extra=three_stages())
    bad = w(32)
    bad['stage4']['num_branches'] = 3
    with pytest.raises(catch, match='num_branches'):
        TOOLBOX_CLASSES['mmseg']['HRNet'](extra=bad)


def test_code_written_for_the_toolboxes_still_catches_it():
    """The pattern of the toolboxes' own tests and user code: ``except AssertionError``."""
    try:
        HRNet(arch='w32', out_form='v3')
    except AssertionError as exc:
        assert "out_form='v3'" in str(exc)  # ...and the helpful message is kept
    else:
        raise AssertionError('no error raised')


def test_blocks_expose_their_norms_as_the_toolboxes_blocks_do():
    basic = BasicBlock(8, 8)
    assert basic.norm1 is basic.bn1 and basic.norm2 is basic.bn2
    down = torch.nn.Sequential(torch.nn.Conv2d(8, 16, 1), torch.nn.BatchNorm2d(16))
    bottleneck = Bottleneck(8, 4, downsample=down)
    assert (bottleneck.norm1, bottleneck.norm2, bottleneck.norm3) == (
        bottleneck.bn1, bottleneck.bn2, bottleneck.bn3)
    model = HRNet(arch='w18_small_v1', zero_init_residual=True)
    model.init_weights()
    for m in model.modules():  # the zero-init check of MMPose's test, via m.norm3
        if isinstance(m, Bottleneck):
            assert torch.all(m.norm3.weight == 0)


def toolbox_module(scope, name):
    return getattr(importlib.import_module(f'{scope}.models.backbones.hrnet'), name)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpose'])
@pytest.mark.parametrize('multiscale', [True, False])
@pytest.mark.parametrize('block_name', ['BasicBlock', 'Bottleneck'])
def test_hrmodule_takes_the_toolbox_constructor_and_equals_it(scope, multiscale, block_name):
    resnet = importlib.import_module(f'{scope}.models.backbones.resnet')
    theirs_block = getattr(resnet, block_name)
    channels = (8, 16, 32)
    expansion = 4 if block_name == 'Bottleneck' else 1  # MMPose's blocks take it as argument
    in_channels = [c * expansion for c in channels]
    kwargs = dict(num_branches=3, num_blocks=(2, 2, 2), in_channels=in_channels,
                  num_channels=channels, multiscale_output=multiscale)
    builtin = randomize(toolbox_module(scope, 'HRModule')(blocks=theirs_block,
                                                          **kwargs), 0).eval()
    ours_cls = TOOLBOX_CLASSES[scope]['HRModule']
    # Their block class or ours: both are accepted.
    for blocks in (theirs_block, TOOLBOX_CLASSES[scope][block_name]):
        ours = ours_cls(blocks=blocks, **kwargs).eval()
        ours.load_state_dict(builtin.state_dict(), strict=True)
        feats = [torch.randn(1, c, 32 // 2**i, 24 // 2**i) for i, c in enumerate(in_channels)]
        with torch.no_grad():
            expected = builtin([f.clone() for f in feats])
            got = ours([f.clone() for f in feats])
        assert len(got) == (3 if multiscale else 1)
        assert_same(list(got), list(expected))


def test_hrmodule_defaults_and_errors_follow_the_toolbox():
    mmpose_module = TOOLBOX_CLASSES['mmpose']['HRModule'](1, BasicBlock, (1, ), [8], (8, ))
    assert mmpose_module.multiscale_output is False  # MMPose's HRModule default
    ours = TOOLBOX_CLASSES['mmseg']['HRModule'](2, BasicBlock, (1, 1), [8, 16], (8, 16))
    assert ours.multiscale_output is True and ours.upsample.mode == 'bilinear'
    with pytest.raises(AssertionError, match='num_blocks has 1 entries'):
        TOOLBOX_CLASSES['mmseg']['HRModule'](2, BasicBlock, (1, ), [8, 16], (8, 16))
    with pytest.raises(ConfigError, match='BasicBlock or Bottleneck'):
        TOOLBOX_CLASSES['mmseg']['HRModule'](1, torch.nn.Conv2d, (1, ), [8], (8, ))


def test_registered_hrnet_is_the_class_behind_type_hrnet():
    from mmseg.registry import MODELS
    assert MODELS.get('HRNet') is TOOLBOX_CLASSES['mmseg']['HRNet']
    assert TOOLBOX_CLASSES['mmseg']['HRNet'](extra=w(18)).eval()(X)[0].shape[-2:] == (24, 40)


def test_resnet_arguments_name_the_delete_fix():
    """mmdet's faster-rcnn_r50 base merged with backbone=dict(type='HRNet', arch='w18')."""
    from pathlib import Path

    import mmdet
    from mmengine.config import Config
    cfg = Config.fromfile(str(Path(mmdet.__file__).parent / '.mim' / 'configs' / 'faster_rcnn' /
                              'faster-rcnn_r50_fpn_1x_coco.py'))
    cfg.merge_from_dict({'model.backbone': dict(type='HRNet', arch='w18')})
    assert 'depth' in cfg.model.backbone  # what the merge leaves behind
    with pytest.raises(ConfigError, match=r"\['depth'.*_delete_=True"):
        build('mmdet', cfg.model.backbone)
    with pytest.raises(ConfigError, match=r"unknown arguments \['widht'\]"):
        build('mmseg', dict(type='HRNet', arch='w18', widht=3))
