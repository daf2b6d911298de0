"""Hook options checked before the run: a typo in one (``max_keep_ckpt=1``) otherwise
fails only when the hook first acts -- for the checkpoint hook, at the first save, after
all the training before it."""
import difflib
import inspect
from typing import Iterable, List, Optional, Tuple

from ..errors import ConfigError


def _hook_cfgs(cfg) -> Iterable[Tuple[str, dict]]:
    for name, hook in (cfg.get('default_hooks') or {}).items():
        if isinstance(hook, dict):
            yield f'default_hooks.{name}', hook
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        if isinstance(hook, dict):
            yield f'custom_hooks.{i}', hook


def _accepted(func) -> Tuple[List[str], bool]:
    """(keyword parameters of ``func``, whether it takes ``**kwargs`` too)."""
    params = list(inspect.signature(func).parameters.values())[1:]  # drop self
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names, any(p.kind is p.VAR_KEYWORD for p in params)


def _problem(key: str, cls, given: List[str], accepted: List[str], where: str) -> str:
    unknown = [g for g in given if g not in accepted]
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, accepted, n=1)
        hints.append(f'{name}' + (f' (did you mean {close[0]}?)' if close else ''))
    return (f'{key}: {cls.__name__} does not take {", ".join(hints)}; it would fail {where}. '
            f'It takes: {", ".join(accepted)}')


def hook_problems(cfg, scope: Optional[str] = None) -> List[str]:
    """Every hook option of ``cfg`` its hook class does not accept, with the nearest name."""
    import importlib

    from mmengine.hooks import CheckpointHook
    from mmengine.registry import HOOKS, DefaultScope
    from mmengine.runner import Runner
    problems = []
    scope = scope or cfg.get('default_scope')
    if scope in ('mmdet', 'mmseg', 'mmpose'):
        HOOKS = importlib.import_module(f'{scope}.registry').HOOKS  # noqa: N806
    with DefaultScope.overwrite_default_scope(scope):
        for key, hook in _hook_cfgs(cfg):
            kind = hook.get('type')
            cls = kind if inspect.isclass(kind) else HOOKS.get(kind) if kind else None
            if cls is None:
                problems.append(f'{key}: there is no hook type {kind!r} in the {scope} '
                                'registry (a typo, or a custom_imports missing)')
                continue
            given = [k for k in hook if k not in ('type', 'priority', '_scope_')]
            accepted, var_kw = _accepted(cls.__init__)
            if var_kw and issubclass(cls, CheckpointHook):
                # CheckpointHook hands its extra options to Runner.save_checkpoint.
                save, _ = _accepted(Runner.save_checkpoint)
                extra = [g for g in given if g not in accepted]
                if any(e not in save for e in extra):
                    problems.append(_problem(key, cls, extra, accepted + save,
                                             'at its first save, after the training before it'))
            elif not var_kw and any(g not in accepted for g in given):
                problems.append(_problem(key, cls, given, accepted, 'when the runner is built'))
    return problems


def check_hooks(cfg, scope: Optional[str] = None) -> None:
    """Raises :class:`~hrnet_mm.errors.ConfigError` listing every hook option problem."""
    problems = hook_problems(cfg, scope)
    if problems:
        raise ConfigError('hook options that would fail the run later:\n' +
                          '\n'.join(f'  - {p}' for p in problems))
