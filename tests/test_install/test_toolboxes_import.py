"""The whole stack imports side by side on current torch/numpy."""
import importlib

import pytest


@pytest.mark.parametrize('module', ['mmdet.apis', 'mmseg.apis', 'mmpose.apis',
                                    'mmpose.visualization', 'xtcocotools.coco',
                                    'pycocotools.coco', 'torchvision'])
def test_imports(module):
    importlib.import_module(module)


def test_hrnet_mm_registers_into_every_toolbox():
    import hrnet_mm
    assert hrnet_mm.register_all() == dict(mmdet=True, mmseg=True, mmpose=True)
    from hrnet_mm import plugin
    assert plugin.TOOLBOXES == dict(mmdet=True, mmseg=True, mmpose=True)
