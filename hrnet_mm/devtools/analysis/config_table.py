"""The README's table of every config: its paper row and number beside the toolbox zoo's.

Every config under ``configs/`` carries a ``paper`` dict (``source``, ``table``, ``row``,
``metric``, ``value``, ``zoo``, ...).  :func:`config_rows` reads them with
``Config.fromfile`` (nothing is built), :func:`format_markdown` renders one Markdown row
per config, and :func:`replace_between_markers` puts the table into README.md between
``<!-- config-table:start -->`` and ``<!-- config-table:end -->``.  The README copy is
generated, never edited by hand, so a test can regenerate it and compare
(``tests/test_analysis/test_config_table.py``)::

    python tools/list_configs.py --update-readme
"""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

from hrnet_mm.devtools.analysis.complexity import find_configs
from hrnet_mm.devtools.markdown import escape, markdown_table

START_MARKER = '<!-- config-table:start -->'
END_MARKER = '<!-- config-table:end -->'
REGENERATE_COMMAND = 'python tools/list_configs.py --update-readme'

# default_scope -> task; mmpose configs are told apart by their folder (face vs pose).
SCOPE_TASKS = {'mmdet': 'detection', 'mmseg': 'segmentation', 'mmpose': 'keypoints',
               'hrnet_mm': 'classification'}
FOLDER_TASKS = {'detection': 'detection', 'segmentation': 'segmentation',
                'pose': 'human pose', 'face': 'face landmarks',
                'imagenet': 'classification'}
HEADER = ('config', 'task', 'paper source', 'table', 'row', 'metric', 'paper', 'zoo')


class ConfigTableError(ValueError):
    """A config cannot be listed (no ``paper`` dict, or a malformed one)."""


@dataclass
class ConfigRow:
    path: str              # relative to the repository root, '/'-separated
    task: str
    source: str
    table: Optional[str]
    row: str
    metric: str
    value: Optional[float]
    zoo_metric: Optional[str]
    zoo_value: Optional[float]


def task_of(rel_path: str, scope: Optional[str]) -> str:
    """The task column: from the config's folder, else from its ``default_scope``."""
    parts = rel_path.split('/')
    folder = parts[1] if len(parts) > 2 else ''
    by_scope = SCOPE_TASKS.get(scope or '', scope or '?')
    if folder == 'demo':
        if scope == 'mmpose':
            by_scope = 'face landmarks' if 'face' in parts[-1] else 'keypoints'
        return f'demo: {by_scope}'
    return FOLDER_TASKS.get(folder, by_scope)


def read_row(path: str, repo_root: str) -> ConfigRow:
    """One config's row; raises :class:`ConfigTableError` when its ``paper`` is unusable."""
    from mmengine.config import Config
    rel = osp.relpath(path, repo_root).replace(osp.sep, '/')
    cfg = Config.fromfile(path)
    paper = cfg.get('paper', None)
    if not isinstance(paper, dict):
        raise ConfigTableError(
            f'{rel} has no `paper = dict(source=..., table=..., row=..., metric=..., '
            'value=..., zoo=...)`; every config under configs/ must say which paper row '
            'it reproduces (source="demo" for demos)')
    missing = [k for k in ('source', 'table', 'row', 'metric', 'value', 'zoo')
               if k not in paper]
    if missing:
        raise ConfigTableError(f'{rel}: paper dict lacks {", ".join(missing)}')
    zoo = paper['zoo']
    if zoo is not None and not (isinstance(zoo, dict) and {'metric', 'value'} <= set(zoo)):
        raise ConfigTableError(f'{rel}: paper["zoo"] must be None or '
                               f'dict(metric=..., value=...), not {zoo!r}')
    return ConfigRow(
        path=rel, task=task_of(rel, cfg.get('default_scope', None)),
        source=str(paper['source']), table=paper['table'], row=str(paper['row']),
        metric=str(paper['metric']), value=paper['value'],
        zoo_metric=None if zoo is None else str(zoo['metric']),
        zoo_value=None if zoo is None else zoo['value'])


def config_rows(repo_root: str, configs_dir: str = 'configs',
                patterns: Optional[Sequence[str]] = None) -> List[ConfigRow]:
    """Rows for every config under ``repo_root/configs_dir``, in path order."""
    root = osp.join(repo_root, configs_dir)
    if not osp.isdir(root):
        raise ConfigTableError(f'no config folder at {root}')
    return [read_row(p, repo_root) for p in find_configs(root, patterns)]


def _cell(text) -> str:
    return '-' if text is None or text == '' else escape(text)


def _zoo_cell(row: ConfigRow) -> str:
    if row.zoo_value is None:
        return '-'
    # Say so where the zoo measured something else (e.g. mIoU with flip + multi-scale).
    if row.zoo_metric and row.zoo_metric != row.metric:
        return f'{row.zoo_value} ({row.zoo_metric})'
    return str(row.zoo_value)


def format_markdown(rows: Sequence[ConfigRow]) -> str:
    """The Markdown table (no trailing newline)."""
    return markdown_table(HEADER, ([f'`{r.path}`', r.task, r.source, r.table, r.row, r.metric,
                                    r.value, _zoo_cell(r)] for r in rows), cell=_cell)


def readme_block(rows: Sequence[ConfigRow]) -> str:
    """What goes between the README markers (the markers excluded)."""
    return (f'<!-- generated by `{REGENERATE_COMMAND}`; do not edit by hand -->\n\n'
            + format_markdown(rows) + '\n')


def replace_between_markers(text: str, block: str) -> str:
    """``text`` with everything between the two markers replaced by ``block``."""
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < 0 or end < start or text.count(START_MARKER) != 1 \
            or text.count(END_MARKER) != 1:
        raise ConfigTableError(
            f'README must contain exactly one {START_MARKER} followed by one '
            f'{END_MARKER}; put them where the config table belongs')
    head = text[:start + len(START_MARKER)]
    return head + '\n' + block + text[end:]


__all__ = ('START_MARKER', 'END_MARKER', 'REGENERATE_COMMAND', 'ConfigRow',
           'ConfigTableError', 'task_of', 'read_row', 'config_rows', 'format_markdown',
           'readme_block', 'replace_between_markers')
