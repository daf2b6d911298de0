"""Shared by the tool tests: run a tool as a real subprocess, or import it as a module."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_tool(args, cwd=REPO, timeout=600, env=None):
    """Runs ``python <args>`` (paths in ``args`` relative to ``cwd``) and returns the
    CompletedProcess, stdout and stderr as text."""
    full_env = dict(os.environ)
    # One thread: on 2 cores shared with anything else, torch's 2 OpenMP threads spin
    # waiting for each other (measured: 14x the CPU time of 1 thread for the same run).
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    return subprocess.run([sys.executable, *map(str, args)], cwd=str(cwd), env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


def describe(proc) -> str:
    """The tail of a finished tool run, for assertion messages."""
    return (f'exit {proc.returncode}\n--- stdout (tail)\n{proc.stdout[-4000:]}'
            f'\n--- stderr (tail)\n{proc.stderr[-4000:]}')


def load_tool(name: str):
    """``tools/<name>.py`` as a module (the tools are scripts, not a package)."""
    path = REPO / 'tools' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'hrnet_mm_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
