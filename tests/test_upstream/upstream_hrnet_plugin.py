"""pytest plugin for running a toolbox's own HRNet test file against hrnet_mm.

``HRNET_MM_UPSTREAM_SCOPE`` names the toolbox (``mmseg``).  Before the test file is
imported, the names it imports from the toolbox (``HRNet``, ``HRModule`` from its
``models.backbones.hrnet``; ``BasicBlock``, ``Bottleneck`` from its ``models.backbones.resnet``)
are pointed at the classes that ``import hrnet_mm`` puts behind ``type='HRNet'``; after
collection every test module is checked to hold exactly those classes.
"""
import importlib
import os

NAMES = ('HRNet', 'HRModule', 'BasicBlock', 'Bottleneck')


def _classes():
    import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
    from hrnet_mm.registry import TOOLBOX_CLASSES
    return TOOLBOX_CLASSES[os.environ['HRNET_MM_UPSTREAM_SCOPE']]


def pytest_configure(config):
    scope = os.environ['HRNET_MM_UPSTREAM_SCOPE']
    classes = _classes()
    for module in (f'{scope}.models.backbones.hrnet', f'{scope}.models.backbones.resnet'):
        module = importlib.import_module(module)
        for name in NAMES:
            if hasattr(module, name):
                setattr(module, name, classes[name])


def pytest_collection_modifyitems(session, config, items):
    classes = _classes()
    for item in items:
        namespace = vars(item.module)
        for name in NAMES:
            if name in namespace and namespace[name] is not classes[name]:
                raise RuntimeError(f'{item.nodeid}: {name} is {namespace[name]!r}, not '
                                   "hrnet_mm's class")
    print(f'\nhrnet_mm upstream plugin: {len(items)} tests run against hrnet_mm classes')
