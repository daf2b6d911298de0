"""Benchmark reproduction: configs x checkpoints -> the papers' tables, measured.

For each selected config (every one with a ``paper`` number by default) the checkpoint is
found, the data roots are pointed where the user keeps the datasets, and the config is
evaluated through :func:`hrnet_mm.cli.evaluate` -- ``tools/test.py``'s own code path, with
``--tta`` where the config carries a ``tta_model`` (the configs define one exactly where
the paper's number is a flip / multi-scale test).  ``--train`` trains it first through
:func:`hrnet_mm.cli.train`.  The results go to ``results.json`` (the record that makes a
rerun skip what it already measured with the same checkpoint), ``results.md`` and a plot.
One config failing is recorded with its error and the rest go on.
"""
import datetime
import hashlib
import json
import os
import os.path as osp
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .markdown import escape, markdown_table

RESULTS_JSON = 'results.json'
RESULTS_MD = 'results.md'
RESULTS_PNG = 'results.png'
CHECKPOINT_SUFFIXES = ('.pth', '.pt')

# A paper metric -> (evaluator keys to look for, factor to the paper's unit).
METRICS: Dict[str, Tuple[Tuple[str, ...], float]] = {
    'bbox AP': (('coco/bbox_mAP',), 100.0),
    'mask AP': (('coco/segm_mAP',), 100.0),
    'AP': (('coco/AP', 'AP'), 100.0),
    'mIoU': (('mIoU',), 1.0),            # mmseg's IoUMetric reports percent already
    'mIoU(ms+flip)': (('mIoU',), 1.0),
    'NME': (('NME',), 100.0),            # mmpose's NME is a fraction of the normaliser
}


class ReproduceError(ValueError):
    """The selection, the checkpoints folder or an option cannot work (nothing was run)."""


@dataclass
class Result:
    """One row of the reproduction table."""
    config: str
    task: str
    table: str
    row: str
    metric: str
    paper: Optional[float]
    zoo: Optional[float]
    measured: Optional[float] = None
    delta: Optional[float] = None
    status: str = 'pending'          # ok | failed | missing | skipped
    error: Optional[str] = None
    tta: bool = False
    checkpoint: Optional[str] = None
    sha256: Optional[str] = None
    metrics: Dict[str, float] = field(default_factory=dict)
    date: Optional[str] = None
    seconds: Optional[float] = None


def sha256_of(path: str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def versions() -> Dict[str, str]:
    """The versions a measurement depends on (absent packages left out)."""
    from importlib import metadata
    out = {}
    for dist in ('hrnet_mm', 'torch', 'mmcv', 'mmengine', 'mmdet', 'mmsegmentation', 'mmpose'):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


# -- what to run --------------------------------------------------------------------------

def select_configs(root: str = 'configs', patterns: Optional[Sequence[str]] = None) -> List[str]:
    """Configs under ``root`` matching ``patterns`` (as ``tools/list_configs.py`` takes
    them); without patterns, every config with a paper number."""
    from .analysis.complexity import find_configs
    paths = find_configs(root, patterns)
    if not paths:
        raise ReproduceError(f'no config under {root} matches {list(patterns or [])}; '
                             'see python tools/list_configs.py for the names')
    return paths


def read_mapping(path: Optional[str]) -> Dict[str, str]:
    """``{config name or path: checkpoint}`` from a JSON file (relative checkpoints are
    relative to the file)."""
    if not path:
        return {}
    try:
        with open(path) as f:
            mapping = json.load(f)
    except (OSError, ValueError) as exc:
        raise ReproduceError(f'--mapping {path}: {exc}; give a JSON object '
                             '{"<config name>": "<checkpoint path>", ...}') from exc
    if not isinstance(mapping, dict):
        raise ReproduceError(f'--mapping {path}: a JSON object is needed, got '
                             f'{type(mapping).__name__}')
    base = osp.dirname(osp.abspath(path))
    return {str(k): v if osp.isabs(v) else osp.join(base, v) for k, v in mapping.items()}


def config_name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def find_checkpoint(config: str, checkpoints: Optional[str],
                    mapping: Dict[str, str]) -> Tuple[Optional[str], List[str]]:
    """(checkpoint, where it looked): the mapping's entry for the config (by name or path),
    else ``<dir>/<name>.pth``, else the newest ``*.pth`` in ``<dir>/<name>/`` (a work dir:
    ``last_checkpoint`` first)."""
    name = config_name(config)
    looked = []
    for key in (config, osp.relpath(config), name):
        if key in mapping:
            return mapping[key], [f'mapping entry {key!r}']
    if mapping:
        looked.append(f'the mapping (no entry for {name!r})')
    if checkpoints:
        for suffix in CHECKPOINT_SUFFIXES:
            candidate = osp.join(checkpoints, name + suffix)
            looked.append(candidate)
            if osp.isfile(candidate):
                return candidate, looked
        work_dir = osp.join(checkpoints, name)
        looked.append(osp.join(work_dir, 'last_checkpoint or *.pth'))
        pointer = osp.join(work_dir, 'last_checkpoint')
        if osp.isfile(pointer):
            with open(pointer) as f:
                named = f.read().strip()
            if named and osp.isfile(named):
                return named, looked
        if osp.isdir(work_dir):
            found = [osp.join(work_dir, f) for f in os.listdir(work_dir)
                     if f.endswith(CHECKPOINT_SUFFIXES)]
            if found:
                return max(found, key=osp.getmtime), looked
    return None, looked


def data_root_options(cfg, data_roots: Dict[str, str]) -> dict:
    """``--cfg-options`` pointing every path under ``data/<name>/`` (the configs' layout)
    at the user's copy, for each ``name=PATH`` of ``--data-root``."""
    prefixes = {(k if '/' in k else f'data/{k}').rstrip('/') + '/': v.rstrip('/') + '/'
                for k, v in data_roots.items()}
    options = {}

    def visit(node, key):
        if isinstance(node, str):
            for old, new in prefixes.items():
                if node.startswith(old) or node + '/' == old:
                    options[key] = new + node[len(old):]
        elif isinstance(node, dict):
            for k, v in node.items():
                visit(v, f'{key}.{k}')
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list, tuple)):
                    visit(v, f'{key}.{i}')

    for part in ('test_dataloader', 'test_evaluator', 'train_dataloader', 'val_dataloader',
                 'val_evaluator'):
        if cfg.get(part) is not None:
            visit(cfg.to_dict()[part] if hasattr(cfg, 'to_dict') else cfg[part], part)
    return options


def measured_value(metric: str, metrics: dict) -> Optional[float]:
    """The evaluator's number in the paper's unit, or None."""
    keys, factor = METRICS.get(metric, ((metric, ), 1.0))
    for key in keys:
        if key in (metrics or {}):
            return round(float(metrics[key]) * factor, 4)
    return None


# -- the record ---------------------------------------------------------------------------

def load_record(out_dir: str) -> Dict[str, dict]:
    path = osp.join(out_dir, RESULTS_JSON)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    return {r['config']: r for r in data.get('results', [])}


def write_outputs(out_dir: str, results: List[Result], meta: dict) -> None:
    from hrnet_mm.checkpoint_io import atomic_write_bytes
    os.makedirs(out_dir, exist_ok=True)
    payload = dict(meta, results=[asdict(r) for r in results])
    atomic_write_bytes((json.dumps(payload, indent=1) + '\n').encode(),
                       osp.join(out_dir, RESULTS_JSON))
    atomic_write_bytes(format_markdown(results, meta).encode(), osp.join(out_dir, RESULTS_MD))
    if any(r.measured is not None for r in results):
        plot(results, osp.join(out_dir, RESULTS_PNG))


def _num(value) -> str:
    return '-' if value is None else f'{value:g}'


HEADER = ('config', 'table', 'row', 'metric', 'paper', 'zoo', 'measured', 'delta', 'tta',
          'status', 'checkpoint (sha256)')


def format_markdown(results: Sequence[Result], meta: dict) -> str:
    rows = []
    for r in results:
        ckpt = '-' if not r.checkpoint else \
            f'{osp.basename(r.checkpoint)} ({(r.sha256 or "")[:12]})'
        status = r.status if not r.error else f'{r.status}: {r.error.splitlines()[0][:160]}'
        rows.append([f'`{r.config}`', r.table, r.row, r.metric, _num(r.paper), _num(r.zoo),
                     _num(r.measured), _num(r.delta), 'yes' if r.tta else 'no', status, ckpt])
    vers = ', '.join(f'{k} {v}' for k, v in meta.get('versions', {}).items())
    lines = ['# Reproduction results', '',
             f'Written by `{meta.get("command", "python tools/reproduce.py")}` on '
             f'{meta.get("date", "?")}; {vers}.', '',
             markdown_table(HEADER, rows, cell=escape), '']
    return '\n'.join(lines)


def plot(results: Sequence[Result], path: str) -> None:
    """Measured against paper value, one panel per task (the diagonal is 'equal')."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    done = [r for r in results if r.measured is not None and r.paper is not None]
    tasks = sorted({r.task for r in done}) or ['-']
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        rows = [r for r in done if r.task == task]
        xs, ys = [r.paper for r in rows], [r.measured for r in rows]
        lo, hi = min(xs + ys, default=0), max(xs + ys, default=1)
        pad = 0.05 * (hi - lo or 1)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color='0.7', lw=1)
        ax.scatter(xs, ys, s=18)
        for r in rows:
            ax.annotate(config_name(r.config)[:28], (r.paper, r.measured), fontsize=6)
        ax.set_title(task)
        ax.set_xlabel('paper')
        ax.set_ylabel('measured')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -- the run ------------------------------------------------------------------------------

@dataclass
class Options:
    configs: Sequence[str] = ()
    root: str = 'configs'
    checkpoints: Optional[str] = None
    mapping: Optional[str] = None
    data_roots: Dict[str, str] = field(default_factory=dict)
    out_dir: str = 'work_dirs/reproduce'
    force: bool = False
    train: bool = False
    launcher: str = 'none'
    cfg_options: Optional[dict] = None
    check_data: bool = True
    command: str = 'python tools/reproduce.py'


def _paper_row(path: str, root: str):
    """(the config's row with its paper numbers, the config)."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    paper = cfg.get('paper') or {}
    zoo = paper.get('zoo') or {}
    task = str(cfg.get('default_scope', '?'))
    return Result(config=osp.relpath(path, osp.dirname(osp.abspath(root))) if root else path,
                  task=task, table=str(paper.get('table') or '-'), row=str(paper.get('row') or '-'),
                  metric=str(paper.get('metric') or '-'), paper=paper.get('value'),
                  zoo=zoo.get('value') if zoo.get('metric', paper.get('metric')) ==
                  paper.get('metric') else None,
                  tta='tta_model' in cfg), cfg


def _log(message: str) -> None:
    print(f'[reproduce] {message}', file=sys.stderr, flush=True)


def reproduce(opts: Options) -> List[Result]:
    """Runs every selected config; returns the rows (also written to ``opts.out_dir``)."""
    from hrnet_mm import cli
    from hrnet_mm.engine.run_summary import scalar_metrics
    paths = select_configs(opts.root, opts.configs or None)
    mapping = read_mapping(opts.mapping)
    if not opts.checkpoints and not mapping and not opts.train:
        raise ReproduceError('give --checkpoints DIR (checkpoints named after the configs), '
                             '--mapping FILE, or --train')
    previous = load_record(opts.out_dir)  # kept for the configs this run does not select
    record = {} if opts.force else previous
    meta = dict(date=datetime.datetime.now().isoformat(timespec='seconds'),
                versions=versions(), command=opts.command)
    results: List[Result] = []
    start = time.time()
    for index, path in enumerate(paths, 1):
        row, cfg = _paper_row(path, opts.root)
        elapsed = time.time() - start
        _log(f'[{index}/{len(paths)}] {row.config} ({elapsed:.0f}s elapsed)')
        if row.paper is None and not opts.configs:
            continue  # the default selection: the configs with a paper number
        results.append(row)
        if cfg.get('test_dataloader') is None or cfg.get('test_evaluator') is None:
            row.status = 'skipped'
            row.error = 'the config has no test dataloader/evaluator (a model-only config)'
            continue
        work_dir = osp.join(opts.out_dir, 'work_dirs', config_name(path))
        options = dict(data_root_options(cfg, opts.data_roots), **(opts.cfg_options or {}))
        t0 = time.time()
        try:
            if opts.train:
                train_cfg = cli.build_cfg(path, opts.launcher, options, work_dir)
                rc = cli.train(train_cfg, path, check_data=opts.check_data)
                if rc:
                    raise cli.ToolError(f'training exited with {rc}', rc)
                checkpoint, looked = find_checkpoint(path, opts.out_dir + '/work_dirs', {})
            else:
                checkpoint, looked = find_checkpoint(path, opts.checkpoints, mapping)
            if checkpoint is None or not osp.isfile(checkpoint):
                row.status = 'missing'
                row.error = (f'no checkpoint for {config_name(path)}: looked at '
                             f'{", ".join(looked) or "nothing"}. Put it at '
                             f'{osp.join(opts.checkpoints or "DIR", config_name(path))}.pth '
                             'or name it in --mapping')
                continue
            row.checkpoint, row.sha256 = osp.abspath(checkpoint), sha256_of(checkpoint)
            old = record.get(row.config)
            if old and old.get('status') == 'ok' and old.get('sha256') == row.sha256:
                results[-1] = Result(**old)
                _log(f'    already measured with this checkpoint ({row.sha256[:12]}): '
                     f'{old.get("measured")} (--force reruns)')
                continue
            metrics = cli.evaluate(path, checkpoint, work_dir=work_dir, cfg_options=options,
                                   launcher=opts.launcher, tta=row.tta,
                                   check_data=opts.check_data)
            row.metrics = scalar_metrics(metrics)
            row.measured = measured_value(row.metric, row.metrics)
            if row.measured is None:
                raise cli.ToolError(f'the evaluator gave {sorted(row.metrics)}, none of them '
                                    f'{row.metric!r}')
            if row.paper is not None:
                row.delta = round(row.measured - row.paper, 4)
            row.status = 'ok'
        except (Exception, SystemExit) as exc:  # one config failing must not stop the rest
            from hrnet_mm.errors import DatasetNotFoundError
            row.status = 'missing' if isinstance(exc, DatasetNotFoundError) else 'failed'
            row.error = f'{type(exc).__name__}: {exc}'
            _log(f'    failed: {row.error.splitlines()[0]}')
            if not isinstance(exc, (cli.ToolError, ) + cli.CHECK_ERRORS):
                traceback.print_exc()
        finally:
            row.date = datetime.datetime.now().isoformat(timespec='seconds')
            row.seconds = round(time.time() - t0, 1)
            if cli.is_rank_zero():  # progress survives a kill
                write_outputs(opts.out_dir, _with_others(results, previous), meta)
        if row.status == 'ok':
            paper = '' if row.paper is None else f' (paper {row.paper:g}, delta {row.delta:+g})'
            _log(f'    {row.metric} {row.measured:g}{paper}')
    if cli.is_rank_zero():
        write_outputs(opts.out_dir, _with_others(results, previous), meta)
    return results


def _with_others(results: List[Result], previous: Dict[str, dict]) -> List[Result]:
    """This run's rows, then the earlier rows of configs it did not select."""
    mine = {r.config for r in results}
    return results + [Result(**r) for c, r in previous.items() if c not in mine]
