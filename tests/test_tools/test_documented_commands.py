"""Every ``tools/...`` command that the README or a config comment gives is real.

Each full command (``python tools/X.py ...``) is parsed by that tool's own argument parser
(an unknown flag fails the test with the command and where it is written); each flag
mention (```tools/train.py --auto-scale-lr```) must be one of the tool's options.  The
test-time commands promised in config comments (``--tta``, ``--show-dir``) also run on the
demo data.
"""
import argparse
import re
import shlex
from pathlib import Path

import pytest
import torch

from tool_runner import REPO, describe, load_tool, run_tool

TOOL = re.compile(r'(?:(?:\.venv/bin/)?python\s+)?(?<![\w/])tools/(\w+)\.py\b')


class _Parsed(Exception):
    def __init__(self, parser, namespace=None):
        self.parser, self.namespace = parser, namespace


def _sources():
    yield 'README.md', (REPO / 'README.md').read_text()
    for path in sorted((REPO / 'configs').rglob('*.py')):
        comments = '\n'.join(line.lstrip()[1:] for line in path.read_text().splitlines()
                             if line.lstrip().startswith('#'))
        yield str(path.relative_to(REPO)), comments


def _spans(text: str):
    """Inline code spans and fenced-block lines (continuations joined), in order."""
    text = re.sub(r'\\\n\s*', ' ', text)
    fenced = re.findall(r'```[a-z]*\n(.*?)```', text, flags=re.S)
    for block in fenced:
        yield from block.splitlines()
    rest = re.sub(r'```[a-z]*\n.*?```', '', text, flags=re.S)
    yield from re.findall(r'`([^`\n]+)`', rest)
    # Bare lines of config comments: "python tools/test.py CONFIG CHECKPOINT --tta"
    yield from (line for line in rest.splitlines() if '`' not in line and
                re.search(r'python\s+tools/\w+\.py', line))


def documented_commands():
    found = {}
    for where, text in _sources():
        for span in _spans(text):
            for match in TOOL.finditer(span):
                tail = span[match.end():].split(' # ')[0].split('  #')[0]
                tail = re.split(r'\s[|;]\s', tail)[0]
                words = shlex.split(tail) if tail.count('"') % 2 == 0 else tail.split()
                full = match.group(0).startswith(('python', '.venv'))
                key = (match.group(1), tuple(words), full)
                found.setdefault(key, where)
    return [(tool, list(words), full, where) for (tool, words, full), where in found.items()]


COMMANDS = documented_commands()


def parse(tool: str, argv, parse=True):
    """Runs the tool's ``main(argv)`` up to its argument parsing; returns the parser and
    (``parse=True``) the namespace it parsed ``argv`` into."""
    module = load_tool(tool)
    original = argparse.ArgumentParser.parse_args

    def stop(self, args=None, namespace=None):
        raise _Parsed(self, original(self, args, namespace) if parse else None)

    argparse.ArgumentParser.parse_args = stop
    try:
        module.main(argv)
    except _Parsed as parsed:
        return parsed
    finally:
        argparse.ArgumentParser.parse_args = original
    raise AssertionError(f'tools/{tool}.py main() returned before parsing its arguments')


def test_the_scan_finds_the_promised_commands():
    tools = {tool for tool, *_ in COMMANDS}
    assert {'train', 'test', 'convert_checkpoint', 'benchmark', 'list_configs',
            'export_onnx'} <= tools, tools
    flags = {w for tool, words, *_ in COMMANDS if tool == 'test' for w in words}
    assert '--tta' in flags  # the LIP / PASCAL-Context configs' flip-test command
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize('tool, words, full, where', COMMANDS,
                         ids=[f'{t}:{" ".join(w)[:60]}' for t, w, _, _ in COMMANDS])
def test_documented_command_parses(tool, words, full, where):
    assert (REPO / 'tools' / f'{tool}.py').is_file(), f'{where}: no tools/{tool}.py'
    if full and words:
        try:
            parse(tool, words)
        except SystemExit as exc:
            raise AssertionError(f'{where}: `tools/{tool}.py {" ".join(words)}` is refused '
                                 f'by its parser (exit {exc.code})') from None
        return
    # A mention in prose, e.g. `tools/train.py --auto-scale-lr`: each flag is an option.
    parser = parse(tool, [], parse=False).parser
    for word in words:
        if word.startswith('--'):
            flag = word.split('=')[0].rstrip('),.;:')
            assert flag in parser._option_string_actions, \
                f'{where}: tools/{tool}.py has no option {flag}'


def test_tta_and_show_dir_run_on_the_demo(seg_checkpoint, tmp_path):
    """The comment's command `tools/test.py CONFIG CHECKPOINT --tta`, with --show-dir."""
    proc = run_tool(['tools/test.py', 'configs/demo/fcn_hrnetv2-w18_demo.py', seg_checkpoint,
                     '--tta', '--show-dir', tmp_path / 'vis', '--work-dir', tmp_path / 'work',
                     '--skip-data-check'])
    assert proc.returncode == 0, describe(proc)
    assert 'test metrics: aAcc=' in proc.stdout, describe(proc)
    assert 'pkg_resources is deprecated' not in proc.stderr  # hrnet_mm.compat, shim 0
    drawn = list((tmp_path / 'vis').rglob('*.png')) + list((tmp_path / 'vis').rglob('*.jpg'))
    assert len(drawn) == 4, (drawn, describe(proc))  # the 4 demo images


def test_tta_without_tta_model_names_the_config(tmp_path, capsys):
    test_tool = load_tool('test')
    config = 'configs/demo/td-hm_hrnetv2-w18_demo-face.py'
    ckpt = tmp_path / 'x.pth'
    ckpt.write_bytes(b'')
    rc = test_tool.main([config, str(ckpt), '--tta'])
    err = capsys.readouterr().err
    assert rc == 2 and f'{config} has no tta_model' in err and 'flip_test' in err, err
