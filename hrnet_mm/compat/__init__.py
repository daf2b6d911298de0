"""Compatibility shims: one module per upstream package, each applied only to the release
it was written against.

Each module (``mmengine``, ``mmcv``, ``mmseg``) lists its shims; a shim names the upstream
problem it works around and is installed by :func:`apply_all` -- which
``hrnet_mm.register_all()`` calls -- only when the installed release is the one the shim
patches.  On another release the shim is left out with one warning, since the problem may
be fixed there (or the patched function changed): nothing is patched blind.  Importing
this package or its modules applies nothing.
"""
import importlib
import warnings
from dataclasses import dataclass
from importlib import metadata
from typing import Callable, Dict, List, Optional

MODULES = ('hrnet_mm.compat.mmengine', 'hrnet_mm.compat.mmcv', 'hrnet_mm.compat.mmseg')


@dataclass(frozen=True)
class Shim:
    """One patch of one upstream entry point."""
    name: str                      # e.g. 'mmengine.atomic_checkpoint_put'
    problem: str                   # the upstream problem, one line
    install: Callable[[], None]    # patches the entry point; run at most once


_APPLIED: Dict[str, str] = {}      # shim name -> the package version it was applied to
_SKIPPED: Dict[str, str] = {}      # shim name -> why it was left out


def installed_version(distribution: str) -> Optional[str]:
    """The installed version of a distribution, read from its metadata (no import)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def apply_shims(distribution: str, patches: str, shims: List[Shim],
                installed: Optional[str] = None) -> List[str]:
    """Installs ``shims`` if ``distribution`` is installed at version ``patches``.

    Returns the names applied by this call.  An absent package is fine (mmseg is
    optional); another version is warned about once, naming the shims left out.
    """
    installed = installed_version(distribution) if installed is None else installed
    todo = [s for s in shims if s.name not in _APPLIED and s.name not in _SKIPPED]
    if not todo:
        return []
    if installed is None:
        for shim in todo:
            _SKIPPED[shim.name] = f'{distribution} is not installed'
        return []
    if installed != patches:
        for shim in todo:
            _SKIPPED[shim.name] = f'{distribution} {installed} installed, the shim patches {patches}'
        warnings.warn(
            f'hrnet_mm: {distribution} {installed} is installed; hrnet_mm\'s shims for '
            f'{distribution} {patches} were not applied ({", ".join(s.name for s in todo)}). '
            f'Install {distribution}=={patches} (tools/setup_env.sh pins it) or check '
            f'hrnet_mm/compat/ against the new release.', stacklevel=3)
        return []
    for shim in todo:
        shim.install()
        _APPLIED[shim.name] = installed
    return [s.name for s in todo]


def apply_all() -> List[str]:
    """Applies every shim whose package is installed at the patched version (idempotent).

    Returns the names applied by this call (empty on the second call)."""
    done = []
    for name in MODULES:
        done += importlib.import_module(name).apply()
    return done


def applied() -> Dict[str, str]:
    """The shims applied so far, by name, with the package version they patch."""
    return dict(_APPLIED)


def skipped() -> Dict[str, str]:
    """The shims left out so far, by name, with the reason."""
    return dict(_SKIPPED)
