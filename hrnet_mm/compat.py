"""Compatibility shims for the OpenMMLab toolboxes on current torch and numpy.

Applied once, on ``import hrnet_mm``.  Nothing in site-packages is edited: each shim
re-registers or wraps one entry point, and each names the upstream problem it works
around.  Remove a shim when the pinned upstream version fixes it.
"""
import os.path as osp
import pickle
import zipfile

import torch
from mmengine.runner.checkpoint import CheckpointLoader


class CheckpointLoadError(RuntimeError):
    """A checkpoint file exists but cannot be read."""


def torch_load_trusted(filename: str, map_location=None):
    """``torch.load`` of a checkpoint the user asked for, with readable failures.

    Shim 1 -- mmengine 0.10.7 ``load_from_local`` calls ``torch.load`` without
    ``weights_only``.  torch >= 2.6 defaults to ``weights_only=True``, which rejects the
    message hub, history buffers and numpy scalars that every mmengine training
    checkpoint holds, so ``--resume`` and ``load_from`` fail with an UnpicklingError.
    mmengine's checkpoints are full pickles by design; we load them as torch < 2.6 did.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist; check the path '
                                '(load_from / --resume / init_cfg.checkpoint)')
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile,
            ValueError) as exc:
        raise CheckpointLoadError(
            f'checkpoint {filename!r} is truncated or corrupt ({type(exc).__name__}: {exc}). '
            'It was probably written by a run that was killed while saving: resume from an '
            'earlier checkpoint in the same work_dir, or re-download the file.') from exc


def _load_from_local(filename, map_location):
    return torch_load_trusted(filename, map_location)


CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)
