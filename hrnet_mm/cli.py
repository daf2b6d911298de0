"""What the command-line tools share: their common options, the config with the command
line applied, test-time options, the work-dir lock, and which errors become one
``error: ...`` line (no traceback) with which exit code.

* :func:`add_common_args` / :func:`apply_common_args` -- ``--cfg-options``,
  ``--trust-checkpoint``, ``--launcher`` and ``--local-rank``, written once.
* :func:`run_tool` -- runs a tool's ``main`` and maps ``CHECK_ERRORS`` (found before the
  runner is built) to exit code 2 and ``RUN_ERRORS`` (raised while it runs) to 1.
* :func:`evaluate` -- ``tools/test.py``'s code path as a function (``tools/reproduce.py``
  evaluates through it too).

Importing this module is light (no torch), so a tool's ``--help`` answers at once.
"""
import os
import os.path as osp
import sys
from typing import Callable, Optional

from .errors import (CheckpointLoadError, CheckpointNotFoundError, ConfigError,
                     ConfigFileError, ConfigOptionError, DataCheckError, DatasetNotFoundError,
                     DistBackendError, IncompatibleCheckpointError, NonFiniteLossError,
                     WorkDirBusyError)

CHECK_ERRORS = (ConfigError, ConfigFileError, ConfigOptionError, DatasetNotFoundError,
                DataCheckError, DistBackendError, CheckpointLoadError, CheckpointNotFoundError,
                WorkDirBusyError, FileNotFoundError)
RUN_ERRORS = (CheckpointLoadError, CheckpointNotFoundError, IncompatibleCheckpointError,
              NonFiniteLossError, DistBackendError)


class ToolError(ValueError):
    """A tool's own check failed; ``code`` is its exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def run_tool(main: Callable[..., int], *args, **kwargs) -> int:
    """``main(...)``'s exit code; a known error prints ``error: <message>`` instead of a
    traceback: a :class:`ToolError` exits with its code, one of ``CHECK_ERRORS`` (found
    before the runner is built) with 2.  Errors while the runner runs are turned into
    ``ToolError(..., 1)`` by :func:`running`."""
    try:
        return main(*args, **kwargs)
    except ToolError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return exc.code
    except CHECK_ERRORS as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2


class running:
    """``with running(): runner.train()`` -- a ``RUN_ERRORS`` error becomes exit code 1."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and isinstance(exc, RUN_ERRORS):
            raise ToolError(str(exc), 1) from exc
        if exc is not None and _is_dist_timeout(exc):
            raise ToolError(
                f'a distributed worker did not answer in time ({type(exc).__name__}: '
                f'{str(exc).splitlines()[0][:300]}). One process is frozen (stopped, swapping, '
                'in a debugger) or died without its launcher noticing. To wait longer, set '
                '--cfg-options env_cfg.dist_cfg.timeout=SECONDS (CPU/gloo runs: default 300 s, '
                'or $HRNET_MM_DIST_TIMEOUT).', 1) from exc
        return False


def _is_dist_timeout(exc: BaseException) -> bool:
    """gloo's and c10d's "timed out" errors (RuntimeError / DistBackendError subclasses)."""
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ('timed out' in text or 'timeout' in text) and \
        any(word in text for word in ('gloo', 'recv', 'send', 'collective', 'c10d', 'barrier',
                                       'allreduce', 'broadcast'))


def add_trust_arg(parser) -> None:
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='load checkpoints with the full unpickler (runs code from the '
                        'file: only for files you trust that hold more than weights)')


def add_common_args(parser) -> None:
    """``--cfg-options``, ``--trust-checkpoint``, ``--launcher``, ``--local-rank``."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value pairs such as '
        'train_cfg.max_iters=2 model.backbone.init_cfg=None; lists as a=[1,2] '
        'or a=1,2 (quote the whole pair if it has spaces)')
    add_trust_arg(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (torch>=2.0) or --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def apply_trust(args) -> None:
    """``--trust-checkpoint``: checkpoints of this process load with the full unpickler."""
    if getattr(args, 'trust_checkpoint', False):
        from .checkpoint_io import TRUST_ENV
        os.environ[TRUST_ENV] = '1'


def apply_common_args(args) -> None:
    """The process-wide effects of :func:`add_common_args`' options."""
    apply_trust(args)
    parse_launcher_env(getattr(args, 'local_rank', None))


def parse_launcher_env(local_rank: Optional[int]) -> None:
    """torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK."""
    if 'LOCAL_RANK' not in os.environ and local_rank is not None:
        os.environ['LOCAL_RANK'] = str(local_rank)


def build_cfg(config: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
              work_dir: Optional[str] = None):
    """The config with the command line applied (mmdet 3.x tools semantics): the launcher,
    ``--cfg-options``, and the work dir (CLI > config > ./work_dirs/<config name>)."""
    from .apis import read_config, register_toolboxes
    register_toolboxes()  # the shims first: reading `mmdet::` bases already meets one
    cfg = read_config(config)  # syntax errors name the file and line
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def add_safety_hooks(cfg, allow_partial_load: bool = False, train: bool = True) -> None:
    """Adds :class:`~hrnet_mm.engine.hooks.NonFiniteLossHook` (training),
    :class:`~hrnet_mm.engine.hooks.CheckpointMatchHook` and
    :class:`~hrnet_mm.engine.hooks.ProgressHook` to ``cfg.custom_hooks`` unless the config
    has them, and fits the logger interval to a short run (:func:`fit_logger_interval`).
    A backbone-only ``load_from`` stays allowed when training (not resuming).
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    have = {str(h.get('type', '')).split('.')[-1] for h in hooks if isinstance(h, dict)}
    if train and 'NonFiniteLossHook' not in have:
        hooks.append(dict(type='hrnet_mm.NonFiniteLossHook'))
    if 'CheckpointMatchHook' not in have:
        hooks.append(dict(type='hrnet_mm.CheckpointMatchHook',
                          allow_partial=allow_partial_load,
                          allow_missing=train and not cfg.get('resume', False)))
    if 'ProgressHook' not in have:
        hooks.append(dict(type='hrnet_mm.ProgressHook'))
    cfg.custom_hooks = hooks
    fit_logger_interval(cfg)


def fit_logger_interval(cfg) -> None:
    """An iteration-based run shorter than the logger interval would log no iteration at
    all (the README's W32 command with 2 iterations printed nothing for 11 minutes): the
    interval becomes ``min(interval, max(1, max_iters // 5))``, so such a run logs about
    five times.  Longer runs, and epoch-based ones, keep the config's interval."""
    logger = (cfg.get('default_hooks') or {}).get('logger')
    max_iters = (cfg.get('train_cfg') or {}).get('max_iters')
    if not isinstance(logger, dict) or not isinstance(max_iters, int) or max_iters <= 0:
        return
    interval = logger.get('interval', 10)
    if interval > max_iters:
        logger['interval'] = max(1, min(interval, max_iters // 5))


def _innermost_dataset(dataset_cfg):
    while 'dataset' in dataset_cfg:  # RepeatDataset, ClassBalancedDataset, ...
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def apply_tta(cfg, config_path: str) -> None:
    """Test-time augmentation from the config's ``tta_model`` and ``tta_pipeline``.

    As mmseg's and mmdet's ``tools/test.py --tta``: the model is wrapped by ``tta_model``
    and the test dataset runs ``tta_pipeline``.  Where the config has none, this says so
    (mmdet would silently invent a default merge; MMPose flips through
    ``model.test_cfg.flip_test`` instead).
    """
    missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
    if missing:
        scope = cfg.get('default_scope')
        hint = (' MMPose configs flip-test through model.test_cfg.flip_test=True '
                '(--cfg-options model.test_cfg.flip_test=True).' if scope == 'mmpose' else '')
        raise ConfigOptionError(
            f'--tta: {config_path} has no {" and no ".join(missing)}; add them to the config '
            f'(as the LIP / PASCAL-Context configs under configs/segmentation do) or test '
            f'without --tta.{hint}')
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model
    _innermost_dataset(cfg.test_dataloader.dataset).pipeline = cfg.tta_pipeline


def apply_show_dir(cfg, show_dir: str) -> str:
    """Draws every test prediction with the toolbox's visualiser into ``show_dir``.

    The toolboxes' test scripts switch on their ``default_hooks.visualization`` hook
    (mmdet: ``draw`` + ``test_out_dir``; mmseg: ``draw`` + the visualiser's ``save_dir``;
    mmpose: ``enable`` + ``out_dir``).  Returns the folder the images go to.
    """
    hooks = cfg.get('default_hooks') or {}
    if 'visualization' not in hooks:
        raise ConfigOptionError(
            "--show-dir needs default_hooks.visualization (the toolbox's VisualizationHook, "
            "which its default_runtime.py sets); add "
            "default_hooks=dict(visualization=dict(type='...VisualizationHook'))")
    show_dir = osp.abspath(show_dir)
    hook = hooks['visualization']
    from .apis import toolbox_of
    scope = toolbox_of(cfg)
    if scope == 'mmdet':
        hook['draw'] = True
        hook['test_out_dir'] = show_dir  # absolute: mmdet joins it to the run's log dir
    elif scope == 'mmseg':
        hook['draw'] = True
        cfg.visualizer['save_dir'] = show_dir  # images go to <save_dir>/vis_data/vis_image
        show_dir = osp.join(show_dir, 'vis_data', 'vis_image')
    else:
        hook['enable'] = True
        hook['out_dir'] = show_dir
    hook['interval'] = 1
    return show_dir


# -- the work dir

LOCK_NAME = '.hrnet_mm_train.lock'


class WorkDirLock:
    """``<work_dir>/.hrnet_mm_train.lock`` holding the pid of the run training into it.

    A second run into the same work dir is refused with the first one's pid (two runs
    would overwrite each other's checkpoints and ``last_checkpoint``); a lock whose process
    is gone is taken over.  Taking it also proves the work dir is writable, before the
    data scan.  Only rank 0 of a distributed run locks.
    """

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self.held = False

    def acquire(self) -> 'WorkDirLock':
        from .checkpoint_io import pid_alive
        try:
            os.makedirs(self.work_dir, exist_ok=True)
            for _ in range(3):
                try:
                    fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    try:
                        with open(self.path) as f:
                            pid = int(f.read().strip() or 0)
                    except (OSError, ValueError):
                        pid = 0
                    if pid and pid != os.getpid() and pid_alive(pid):
                        raise WorkDirBusyError(
                            f'work_dir {self.work_dir} is in use by another run (pid {pid}); '
                            'wait for it, stop it, or give this run another --work-dir')
                    os.remove(self.path)  # stale: its run is gone
                    continue
                with os.fdopen(fd, 'w') as f:
                    f.write(str(os.getpid()))
                self.held = True
                return self
        except PermissionError as exc:
            raise WorkDirBusyError(f'work_dir {self.work_dir} is not writable ({exc.strerror}); '
                                   'give a writable --work-dir') from exc
        raise WorkDirBusyError(f'could not take {self.path}; remove it if no run uses it')

    def release(self) -> None:
        if self.held:
            try:
                with open(self.path) as f:
                    mine = f.read().strip() == str(os.getpid())
                if mine:
                    os.remove(self.path)
            except OSError:
                pass
            self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def is_rank_zero() -> bool:
    return os.environ.get('RANK', '0') == '0' and os.environ.get('LOCAL_RANK', '0') == '0'


# -- runs -------------------------------------------------------------------------------

def build_runner(cfg):
    """mmengine's Runner for ``cfg`` (or the config's ``runner_type``), as the toolboxes'
    tools build it."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def _dump_metric(scope: str, out_file: str):
    """The toolbox's "dump predictions" metric (mmdet's also RLE-encodes masks)."""
    if scope == 'mmdet':
        from mmdet.evaluation import DumpDetResults
        return DumpDetResults(out_file_path=out_file)
    from mmengine.evaluator import DumpResults
    return DumpResults(out_file_path=out_file)


def evaluate(config: str, checkpoint: str, work_dir: Optional[str] = None,
             cfg_options: Optional[dict] = None, launcher: str = 'none', tta: bool = False,
             show_dir: Optional[str] = None, out: Optional[str] = None,
             check_data: bool = True, runner_setup=None) -> dict:
    """``tools/test.py`` as a function: the config's test evaluator on ``checkpoint``.

    The same checks first (data roots, checkpoint files, the data scan), the safety
    hooks (a checkpoint of another model is refused), then mmengine's ``Runner.test``.
    ``runner_setup(runner)``, if given, is called on the built runner (e.g. to register
    a hook that runs the loaded model another way).  Returns the metrics (on rank 0 of a
    distributed run; None elsewhere).  Raises :class:`ToolError` / ``CHECK_ERRORS`` as
    :func:`run_tool` expects.
    """
    from .apis import init_toolbox
    from .preflight import check_data_roots, check_run
    if not osp.isfile(checkpoint):
        raise ToolError(f'checkpoint {checkpoint!r} does not exist')
    cfg = build_cfg(config, launcher, cfg_options, work_dir)
    cfg.load_from = checkpoint
    scope = init_toolbox(cfg)
    if tta:
        apply_tta(cfg, config)
    drawn = apply_show_dir(cfg, show_dir) if show_dir else None
    check_data_roots(cfg, 'test', config_path=config)
    for warning in check_run(cfg, 'test', check_data=check_data):
        print(f'warning: {warning}', file=sys.stderr)
    add_safety_hooks(cfg, train=False)
    runner = build_runner(cfg)
    if runner_setup is not None:
        runner_setup(runner)
    if out is not None:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        runner.test_evaluator.metrics.append(_dump_metric(scope, out))
    with running():
        metrics = runner.test()
    if out is not None:
        print(f'predictions dumped to {out}')
    if drawn is not None:
        print(f'predictions drawn into {drawn}')
    return metrics


CPU_AMP_WRAPPER = 'hrnet_mm.CPUAutocastOptimWrapper'


def has_accelerator() -> bool:
    """Whether mmengine's AmpOptimWrapper can run here (a CUDA, NPU, MLU or MUSA device)."""
    from mmengine.device import (is_cuda_available, is_mlu_available, is_musa_available,
                                 is_npu_available)
    return bool(is_cuda_available() or is_npu_available() or is_mlu_available()
                or is_musa_available())


def cpu_has_bf16() -> bool:
    """The engine's check, imported here only when asked: the CLI module stays light to import,
    and tests replace this one name to play a CPU without bf16."""
    from .engine.optim_wrapper import cpu_has_bf16 as check
    return check()


def amp_optim_wrapper(optim_wrapper) -> str:
    """What ``--amp`` makes of the config's ``optim_wrapper`` (in place); returns its type.

    With an accelerator: mmengine's ``AmpOptimWrapper`` with dynamic loss scaling (mmdet's
    tools do the same).  Without one: hrnet_mm's ``CPUAutocastOptimWrapper``, bf16 autocast
    on the CPU, since mmengine's refuses the CPU.
    """
    if has_accelerator():
        optim_wrapper.type = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        optim_wrapper.type = CPU_AMP_WRAPPER
    return optim_wrapper.type


def amp_device_error(cfg) -> Optional[str]:
    """Why the config's mixed-precision training cannot run (well) on this machine, or None.

    mmengine's AmpOptimWrapper asserts a CUDA/NPU/MLU/MUSA device deep inside the
    runner, and bf16 autocast on a CPU without bf16 instructions runs slower than fp32;
    saying so before anything is built is kinder than a traceback or a slow run.
    """
    kind = (cfg.get('optim_wrapper', None) or {}).get('type', None)
    if kind == 'AmpOptimWrapper' and not has_accelerator():
        return ('AMP training (optim_wrapper.type=AmpOptimWrapper in the config) needs a CUDA, '
                "NPU, MLU or MUSA device: mmengine's AmpOptimWrapper does not run on CPU. On a "
                f"CPU, --amp trains with bf16 autocast (optim_wrapper.type='{CPU_AMP_WRAPPER}'); "
                'or train without --amp.')
    if kind in (CPU_AMP_WRAPPER, CPU_AMP_WRAPPER.split('.')[1]) and not cpu_has_bf16():
        return ('bf16 autocast training on the CPU (--amp without a GPU, or optim_wrapper.type='
                f"'{CPU_AMP_WRAPPER}') needs a CPU with bf16 instructions (AVX512-BF16 or "
                'AMX); this one has none, so it would run slower than fp32. Train without '
                '--amp here.')
    return None


def train(cfg, config: str, resume: Optional[str] = None, allow_partial_load: bool = False,
          check_data: bool = True) -> int:
    """``tools/train.py`` as a function, for a config with the command line applied
    (``resume``: None, ``'auto'`` or a checkpoint, as ``--resume``).

    The checks first (AMP device, data roots, ``--resume`` against the config, the work-dir
    lock, checkpoint files, the data scan), then mmengine's ``Runner.train``; the final
    metrics line on rank 0.  Raises :class:`ToolError` / ``CHECK_ERRORS`` as
    :func:`run_tool` expects.
    """
    from .apis import init_toolbox
    from .preflight import check_data_roots, nothing_to_resume
    amp_error = amp_device_error(cfg)
    if amp_error:
        raise ToolError(amp_error)
    init_toolbox(cfg)
    check_data_roots(cfg, 'train', config_path=config)
    if resume not in (None, 'auto') and not osp.isfile(resume):
        raise ToolError(f'--resume checkpoint {resume!r} does not exist')
    if resume == 'auto' and nothing_to_resume(cfg.work_dir):
        print(f'warning: --resume: no checkpoint in {cfg.work_dir} to resume from; training '
              'starts at iteration 0', file=sys.stderr)
    elif resume is not None:
        _check_resume(cfg, resume)
    # One run per work dir; taking the lock also proves it is writable, before the data scan.
    lock = WorkDirLock(cfg.work_dir)
    if is_rank_zero():
        lock.acquire()
    try:
        for warning in _preflight_train(cfg, check_data):
            print(f'warning: {warning}', file=sys.stderr)
        add_safety_hooks(cfg, allow_partial_load=allow_partial_load)
        return _run_training(cfg)
    finally:
        lock.release()


def _preflight_train(cfg, check_data: bool):
    from .preflight import check_run
    return check_run(cfg, 'train', check_data=check_data)


def _check_resume(cfg, resume: str) -> None:
    """Warns about config changes ``--resume`` will not apply; refuses an optimizer change."""
    from mmengine.runner import find_latest_checkpoint

    from .preflight import resume_report
    resumed = find_latest_checkpoint(cfg.work_dir) if resume == 'auto' else resume
    try:
        notes, error = resume_report(cfg, resumed)
    except Exception as exc:  # an unreadable checkpoint: the preflight names it next
        notes, error = [], None
        print(f'warning: --resume: could not compare {resumed} with the config ({exc})',
              file=sys.stderr)
    for line in notes:
        print(f'warning: {line}', file=sys.stderr)
    if error:
        raise ToolError(error)


def _run_training(cfg) -> int:
    """The run itself (under the work-dir lock, after every check)."""
    from .engine.hooks import ValidationSeenHook
    from .engine.run_summary import format_metrics, last_val_metrics
    runner = build_runner(cfg)
    seen = ValidationSeenHook()
    runner.register_hook(seen)
    with running():
        runner.train()
        if cfg.get('resume') and not seen.seen and cfg.get('val_cfg') is not None and \
                runner.iter >= runner.max_iters:
            # Resumed at the end (killed during the final validation): the metrics in the
            # checkpoint are an earlier validation's. Validate the final weights now.
            print('resumed a finished run whose final validation did not complete: '
                  'validating now', file=sys.stderr, flush=True)
            runner.val()
    if runner.rank == 0:
        print(format_metrics(last_val_metrics(runner)), flush=True)
    return 0
