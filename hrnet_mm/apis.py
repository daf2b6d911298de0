"""The library calls behind the tools: read a config, pick its toolbox, build its model
(with weights), read an image.

``tools/*.py``, the deploy path and the developer tooling build a config's model through
:func:`build_model`, so there is one way to do it offline.
"""
import copy
import importlib
import os.path as osp
from typing import List, Optional

from .errors import CheckpointLoadError, CheckpointNotFoundError, ConfigFileError

TOOLBOXES = ('mmdet', 'mmseg', 'mmpose')


def register_toolboxes() -> None:
    """hrnet_mm's shims and registrations (``type='HRNet'`` builds hrnet_mm's backbone)."""
    from .registry import register_all
    register_all()


def toolbox_of(cfg) -> str:
    """The toolbox a config belongs to, from its ``default_scope``."""
    scope = cfg.get('default_scope', None)
    if scope not in TOOLBOXES:
        raise ValueError(
            f'config has default_scope={scope!r}; hrnet_mm\'s tools run configs of '
            f'{", ".join(TOOLBOXES)} only (set default_scope in the config or inherit '
            'the toolbox\'s default_runtime.py)')
    return scope


def load_toolbox(scope: str) -> None:
    """Registers a toolbox's modules (and hrnet_mm into it) without touching the default
    scope; ``'hrnet_mm'`` (the ImageNet configs) needs hrnet_mm only."""
    register_toolboxes()
    if scope == 'hrnet_mm':
        return
    try:
        utils = importlib.import_module(f'{scope}.utils')
    except ImportError as exc:
        raise ImportError(f'config needs {scope}, which is not importable: {exc}') from exc
    utils.register_all_modules(init_default_scope=False)


def init_toolbox(cfg) -> str:
    """Registers the config's toolbox (and hrnet_mm into it) and makes its scope the
    default, as the toolbox's own tools do; returns the scope."""
    scope = toolbox_of(cfg)
    load_toolbox(scope)
    from mmengine.registry import init_default_scope
    init_default_scope(scope)
    return scope


def read_config(path: str):
    """``Config.fromfile`` whose syntax errors name the file and the line.

    mmengine parses the file from a string and reports ``File "<unknown>", line N`` (of
    the file, or of one of its ``_base_`` files).
    """
    from mmengine.config import Config
    try:
        return Config.fromfile(path)
    except SyntaxError as exc:
        for candidate in [path, *_local_bases(path)]:
            try:
                with open(candidate, encoding='utf-8') as f:
                    compile(f.read(), candidate, 'exec')
            except SyntaxError as found:
                raise ConfigFileError(
                    f'{found.filename}, line {found.lineno}: {found.msg}'
                    + (f'\n    {found.text.rstrip()}' if found.text else '')) from exc
            except OSError:
                continue
        raise ConfigFileError(f'{path}: {exc}') from exc


def _local_bases(path: str) -> List[str]:
    """The relative ``_base_`` files a config names, recursively (for error messages)."""
    import ast
    try:
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError):
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_'
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            for base in [value] if isinstance(value, str) else list(value):
                if '::' not in base:
                    base = osp.join(osp.dirname(path), base)
                    found += [base, *_local_bases(base)]
    return found


def build_model(cfg, checkpoint: Optional[str] = None, model_cfg: Optional[dict] = None,
                device: str = 'cpu'):
    """``cfg.model`` (or ``model_cfg``) built through its toolbox's registry, in eval mode.

    The backbone's ``init_cfg`` is dropped (a checkpoint carries the trained weights;
    without one the weights are random, enough to measure or export).  ``checkpoint`` is
    checked first (missing, cut short: the preflight's message) and loaded strictly.
    Returns (model, scope).  The model is built in the config's scope; the process-wide
    default scope is left as it was (measuring many configs in one process).
    """
    from mmengine.registry import DefaultScope
    scope = cfg.get('default_scope')
    if scope != 'hrnet_mm':
        scope = toolbox_of(cfg)
    load_toolbox(scope)
    model_cfg = copy.deepcopy(cfg.model if model_cfg is None else model_cfg)
    if isinstance(model_cfg.get('backbone'), dict):
        model_cfg['backbone']['init_cfg'] = None
    if checkpoint is not None:
        from .preflight.checkpoints import checkpoint_problem
        problem = checkpoint_problem('checkpoint', checkpoint)
        if problem:
            error = CheckpointLoadError if 'truncated' in problem else CheckpointNotFoundError
            raise error(problem)
    with DefaultScope.overwrite_default_scope(scope):
        model = importlib.import_module(f'{scope}.registry').MODELS.build(model_cfg)
    if checkpoint is not None:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval(), scope


def read_image(path: str):
    """The image at ``path`` as a BGR uint8 array, or a clear error.

    Grayscale, RGBA and 16-bit images come back as 8-bit BGR (mmcv's ``color`` flag);
    truncated or oversized files raise instead of giving a partly grey image.
    """
    if not osp.exists(path):
        raise FileNotFoundError(f'image {path!r} does not exist')
    if osp.isdir(path):
        raise IsADirectoryError(f'image {path!r} is a folder; give one image file')
    from .preflight.data import check_image
    check_image(path)
    import mmcv
    try:
        img = mmcv.imread(path, channel_order='bgr')
    except Exception as exc:  # cv2/pillow/turbojpeg decode errors vary by backend
        raise ValueError(f'cannot read image {path!r}: {exc}') from exc
    if img is None or getattr(img, 'size', 0) == 0:
        raise ValueError(f'cannot read image {path!r}: not an image file or an '
                         'unsupported/corrupt format')
    return img
