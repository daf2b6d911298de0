"""README.md's config table is generated from the configs and up to date.

Adding, renaming or re-numbering a config without running
``python tools/list_configs.py --update-readme`` fails here.
"""
import re

import pytest

from tool_runner import REPO, load_tool

from hrnet_mm.devtools.analysis import config_table as ct
from hrnet_mm.devtools.analysis.complexity import find_configs


@pytest.fixture(scope='module')
def rows():
    return ct.config_rows(str(REPO))


def _readme():
    return (REPO / 'README.md').read_text(encoding='utf-8')


def test_readme_table_is_up_to_date(rows):
    text = _readme()
    assert ct.replace_between_markers(text, ct.readme_block(rows)) == text, \
        'README.md config table is stale: run python tools/list_configs.py --update-readme'


def test_every_config_is_in_the_readme(rows):
    text = _readme()
    start, end = text.index(ct.START_MARKER), text.index(ct.END_MARKER)
    block = text[start:end]
    listed = re.findall(r'^\| `(configs/[^`]+\.py)` \|', block, re.M)
    on_disk = sorted(p.relative_to(REPO).as_posix()
                     for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
    assert sorted(listed) == on_disk
    assert len(listed) == len(rows) == len(find_configs(str(REPO / 'configs')))
    # the section and the regeneration command are where the README says
    configs_section = text.index('\n## Configs\n')
    assert text.index('\n## HRNet in your own configs\n') < configs_section < start
    assert ct.REGENERATE_COMMAND in text[configs_section:start]


def test_rows_carry_the_paper_and_zoo_numbers(rows):
    by_path = {r.path: r for r in rows}
    r = by_path['configs/detection/faster-rcnn_hrnetv2p-w32_2x_coco.py']
    assert (r.task, r.source, r.table, r.metric, r.value) == \
        ('detection', 'TPAMI', 'T8', 'bbox AP', 40.9)
    assert (r.zoo_metric, r.zoo_value) == ('bbox AP', 41.4)
    line = ct.format_markdown([r]).splitlines()[-1]
    assert line == ('| `configs/detection/faster-rcnn_hrnetv2p-w32_2x_coco.py` | detection | '
                    'TPAMI | T8 | Faster R-CNN, HRNetV2p-W32, 2x (COCO test-dev: T11) | '
                    'bbox AP | 40.9 | 41.4 |')
    tasks = {r.task for r in rows}
    assert {'detection', 'segmentation', 'human pose', 'face landmarks',
            'classification', 'demo: detection'} <= tasks
    # a zoo number measured differently says how
    pc = by_path['configs/segmentation/fcn_hrnetv2-w48_4xb4-60k_pascal-context-480x480.py']
    assert '47.84 (mIoU(ms+flip))' in ct.format_markdown([pc])
    assert all(r.source for r in rows)


def test_a_config_without_paper_is_refused(tmp_path):
    (tmp_path / 'configs' / 'x').mkdir(parents=True)
    (tmp_path / 'configs' / 'x' / 'bad.py').write_text("default_scope = 'mmdet'\n")
    with pytest.raises(ct.ConfigTableError, match=r'configs/x/bad.py has no `paper'):
        ct.config_rows(str(tmp_path))


def test_markers_are_required():
    with pytest.raises(ct.ConfigTableError, match='config-table:start'):
        ct.replace_between_markers('# README\nno markers\n', 'table')
    text = f'a\n{ct.START_MARKER}\nold\n{ct.END_MARKER}\nb\n'
    assert ct.replace_between_markers(text, 'new\n') == \
        f'a\n{ct.START_MARKER}\nnew\n{ct.END_MARKER}\nb\n'


def test_cli_check_and_update(tmp_path, rows, monkeypatch):
    """--check fails on a stale copy and --update-readme repairs it (on a copy)."""
    monkeypatch.setattr(ct, 'config_rows', lambda *args, **kwargs: rows)  # read once
    stale = tmp_path / 'README.md'
    stale.write_text(ct.replace_between_markers(_readme(), 'old table\n'), encoding='utf-8')
    tool = load_tool('list_configs')
    assert tool.main(['--check', '--readme', str(stale)]) == 1
    assert tool.main(['--update-readme', '--readme', str(stale)]) == 0
    assert stale.read_text(encoding='utf-8') == _readme()
    assert tool.main(['--check', '--readme', str(stale)]) == 0


def test_cli_prints_the_table(rows, monkeypatch, capsys):
    asked = []

    def subset(repo_root, configs_dir='configs', patterns=None):
        asked.append(patterns)
        return [r for r in rows if r.path.startswith('configs/imagenet/')]

    monkeypatch.setattr(ct, 'config_rows', subset)
    tool = load_tool('list_configs')
    assert tool.main(['--configs', 'imagenet/']) == 0
    assert asked == [['imagenet/']]
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith('| config | task |')
    assert len(lines) == 2 + 6  # header, rule, the 6 ImageNet configs
    assert all('| classification |' in line for line in lines[2:])
    with pytest.raises(SystemExit):  # a subset cannot be written into the README
        tool.parse_args(['--configs', 'imagenet/', '--update-readme'])
