"""The layout of docs/architecture.md holds: layers import only lower layers, runtime code
never imports the developer tooling, there is no import cycle, and importing hrnet_mm or
its models applies no shim and registers nothing into the toolboxes."""
import ast
import subprocess
import sys
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / 'hrnet_mm'
# Lowest first, as in docs/architecture.md.  A module may import its own layer and lower.
LAYERS = ['errors', 'checkpoint_io', 'weights', 'models', 'datasets', 'compat', 'engine',
          'registry', 'preflight', 'apis', 'deploy', 'cli', 'plugin', 'devtools']
TOP = 'hrnet_mm'  # the package facade: register_all() and lazy attributes


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def imports_of(path: Path):
    """Every hrnet_mm module ``path`` imports, at module level or inside a function."""
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rsplit('.', 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                mod = '.'.join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ''
            # `from . import compat` names a submodule, `from .x import f` a name in x:
            # existing() resolves either to the module.
            targets = [f'{mod}.{a.name}' for a in node.names]
        else:
            continue
        yield from (t for t in targets if t == TOP or t.startswith(TOP + '.'))


def existing(target: str, modules) -> str:
    """The module an import resolves to (``a.b.func`` -> ``a.b``)."""
    while target not in modules and '.' in target:
        target = target.rsplit('.', 1)[0]
    return target


def layer_of(module: str) -> int:
    parts = module.split('.')
    return LAYERS.index(parts[1]) if len(parts) > 1 else len(LAYERS)


def graph():
    files = {module_name(p): p for p in PACKAGE.rglob('*.py')}
    return {m: {existing(t, files) for t in imports_of(p)} - {m} for m, p in files.items()}


def test_every_module_belongs_to_a_documented_layer():
    doc = (REPO / 'docs' / 'architecture.md').read_text()
    for module in graph():
        parts = module.split('.')
        if len(parts) > 1:
            assert parts[1] in LAYERS, f'{module} is in no layer of docs/architecture.md'
            suffix = '/' if (PACKAGE / parts[1]).is_dir() else '.py'
            assert f'**`{parts[1]}{suffix}`**' in doc or parts[1] == 'plugin', parts[1]


def test_layers_import_only_lower_layers():
    wrong = []
    for module, targets in graph().items():
        for target in targets:
            if target == TOP and module != TOP:
                wrong.append(f'{module} imports the package facade {TOP}')
            elif layer_of(target) > layer_of(module):
                wrong.append(f'{module} -> {target}')
    assert not wrong, wrong


def test_runtime_never_imports_developer_tooling():
    wrong = [f'{m} -> {t}' for m, ts in graph().items() if not m.startswith('hrnet_mm.devtools')
             for t in ts if t.startswith('hrnet_mm.devtools')]
    assert not wrong, wrong


def test_no_import_cycle():
    edges = graph()

    def cycle_from(start):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges.get(node, ()):
                # a package imports its own submodules; that is not a cycle
                if nxt.startswith(node + '.') or node.startswith(nxt + '.'):
                    continue
                if nxt == start:
                    return path + [nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = [c for c in map(cycle_from, edges) if c]
    assert not cycles, cycles[:3]


PROBE = r'''
import sys, {module}
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.runner.checkpoint import CheckpointLoader
from hrnet_mm import compat
assert compat.applied() == {{}}, compat.applied()
assert LocalBackend.put.__module__.startswith('mmengine'), LocalBackend.put
assert CheckpointLoader._schemes[''].__module__.startswith('mmengine')
assert not any(m.startswith(('mmdet', 'mmseg', 'mmpose')) for m in sys.modules), \
    sorted(m for m in sys.modules if m.startswith(('mmdet', 'mmseg', 'mmpose')))[:5]
import hrnet_mm
applied = hrnet_mm.register_all() and compat.applied()
assert LocalBackend.put.__module__.startswith('hrnet_mm'), LocalBackend.put
print('applied after register_all:', len(applied))
'''


def test_importing_hrnet_mm_or_its_models_applies_and_registers_nothing():
    for module in ('hrnet_mm', 'hrnet_mm.models', 'hrnet_mm.devtools.demo_data'):
        proc = subprocess.run([sys.executable, '-c', PROBE.format(module=module)],
                              capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, (module, proc.stderr[-2000:])
        assert int(proc.stdout.split(':')[-1]) >= 10, proc.stdout  # every shim, on request
