"""Running tools/train.py / test.py / dist_*.sh as a user would, in subprocesses."""
import os
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CONFIGS = HERE / 'configs'
PYTHON = sys.executable


def env(**extra) -> dict:
    """The test's environment plus this folder (crash_helpers) on PYTHONPATH."""
    out = dict(os.environ)
    out['PYTHONPATH'] = os.pathsep.join(
        p for p in (str(HERE), str(REPO), out.get('PYTHONPATH', '')) if p)
    out['PYTHON'] = PYTHON
    out.update({k: str(v) for k, v in extra.items()})
    return out


def run(args, timeout=600, **env_extra) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=REPO, env=env(**env_extra),
                          capture_output=True, text=True, timeout=timeout)


def train(config, work_dir, *extra, **env_extra) -> subprocess.CompletedProcess:
    return run([PYTHON, 'tools/train.py', config, '--work-dir', work_dir, *extra],
               **env_extra)


def start_train(config, work_dir, *extra, **env_extra) -> subprocess.Popen:
    """tools/train.py in the background; ``finish`` waits for it."""
    return subprocess.Popen(
        [str(a) for a in (PYTHON, 'tools/train.py', config, '--work-dir', work_dir, *extra)],
        cwd=REPO, env=env(**env_extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def finish(proc: subprocess.Popen, timeout=600) -> subprocess.CompletedProcess:
    stdout, stderr = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def with_crash_helpers(config: Path, tmp_path: Path) -> Path:
    """``config`` plus ``custom_imports`` of crash_helpers (SIGKILLs chosen by env)."""
    derived = tmp_path / f'{config.stem}_crashable.py'
    derived.write_text(f'_base_ = {str(config)!r}\n'
                       "custom_imports = dict(imports=['hrnet_mm.plugin', 'crash_helpers'], "
                       'allow_failed_imports=False)\n')
    return derived


def load(path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


def describe(proc: subprocess.CompletedProcess) -> str:
    return (f'rc={proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n'
            f'--- stderr\n{proc.stderr[-4000:]}')
