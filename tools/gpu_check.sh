#!/usr/bin/env bash
# The prepared GPU check, for a CUDA machine without internet (written for one H200:
# 16 cores, its own python3 with a CUDA torch).  One script, about 10 minutes there:
#
#   bash tools/gpu_check.sh --fetch     # on a machine with PyPI: sources and wheels into .whl/
#   bash tools/gpu_check.sh             # on the GPU machine, with .whl/ and data/demo copied along
#   bash tools/gpu_check.sh --dry-run   # on a CPU machine: every step that needs no GPU
#
# Steps: (1) install the carried wheels into a private site folder; (2) build mmcv 2.1.0's
# CUDA ops for TORCH_CUDA_ARCH_LIST (default 9.0) against that machine's torch, timed;
# (3) tools/check_mmcv_cuda.py: cubins for the arch, nms/roi_align/sigmoid_focal_loss on CUDA
# equal to the CPU (tolerances in that tool); (4) one training iteration of the W32 2x Faster
# R-CNN (the user's command path), FCOS W32 and Mask R-CNN W32 at full resolution on the demo
# data, fp32 and --amp: s/iter and peak memory from mmengine's log; (5) tools/benchmark.py
# --device cuda (eager, channels_last, compile, bf16, with_cp memory).
# Everything is logged under ${OUT:-gpu_check_out}/; the benchmark writes its GPU tables there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE=run
case "${1:-}" in --dry-run) MODE=dry ;; --fetch) MODE=fetch ;; "") ;;
  *) echo "usage: bash tools/gpu_check.sh [--fetch|--dry-run]" >&2; exit 2 ;; esac
OUT="${OUT:-$ROOT/gpu_check_out}"
mkdir -p "$OUT"
PY="${PYTHON:-python3}"
WHL="$ROOT/.whl"
ARCH="${TORCH_CUDA_ARCH_LIST:-9.0}"
T0=$SECONDS
log() { printf '[gpu-check %3ds] %s\n' "$((SECONDS - T0))" "$*" | tee -a "$OUT/summary.txt"; }

# What the GPU machine lacks (its image has torch, numpy, opencv, scipy, matplotlib, onnx...):
# pure-Python wheels and the sources that must be built against its torch and numpy.
PURE=(mmengine==0.10.7 mmdet==3.3.0 mmsegmentation==1.2.2 mmpose==1.3.2 addict==2.4.0
      yapf==0.43.0 terminaltables==3.1.10 json_tricks==3.17.3 munkres==1.1.4
      prettytable==3.16.0 shapely==2.1.1 pycocotools==2.0.10 platformdirs==4.3.8
      termcolor==3.1.0 wcwidth==0.2.13 ftfy==6.3.1)  # mmpose runs without chumpy
SOURCES=(mmcv==2.1.0 xtcocotools==1.14.3)

if [ "$MODE" = fetch ]; then
  mkdir -p "$WHL"
  for spec in "${PURE[@]}"; do
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
      --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 -d "$WHL" "$spec"
  done
  for spec in "${SOURCES[@]}"; do
    "$PY" -m pip download -q --no-deps --no-binary=:all: --no-build-isolation -d "$WHL" "$spec"
  done
  ls -la "$WHL" | tee "$OUT/wheels.txt"
  echo "[gpu-check] fetched $(ls "$WHL" | wc -l) files into $WHL; build the demo data too (tools/prepare_demo_data.py) and copy .whl/ and data/demo/ along"
  exit 0
fi

log "mode $MODE; $("$PY" -c 'import sys, torch; print(f"python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}, GPU {torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}")')"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT/summary.txt" || true

# (1) the carried wheels, installed where they shadow nothing of the image's own
missing=()
for spec in "${PURE[@]}" "${SOURCES[@]}"; do
  name="${spec%%==*}"
  ls "$WHL"/"${name//-/_}"-* "$WHL"/"$name"-* >/dev/null 2>&1 || missing+=("$spec")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "MISSING in .whl/: ${missing[*]} -- run 'bash tools/gpu_check.sh --fetch' on a machine with PyPI"
  [ "$MODE" = run ] && exit 1
else
  log "(1) all ${#PURE[@]} wheels and ${#SOURCES[@]} sources are in .whl/"
fi
if [ "$MODE" = run ]; then
  SITE=/tmp/hrnet_mm_site
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$WHL"/*.whl
  export PYTHONPATH="$SITE:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
fi

# (2) mmcv's CUDA ops against this machine's torch
if [ "$MODE" = run ]; then
  BUILD="$(mktemp -d)"; tar -xzf "$WHL"/mmcv-2.1.0.tar.gz -C "$BUILD"
  if "$PY" -c 'import torch, sys; v = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]); sys.exit(0 if v >= (2, 14) else 1)'; then
    sed -i 's/-std=c++17/-std=c++20/g' "$BUILD/mmcv-2.1.0/setup.py"
  fi
  t=$SECONDS
  FORCE_CUDA=1 MMCV_WITH_OPS=1 TORCH_CUDA_ARCH_LIST="$ARCH" MAX_JOBS="$(nproc)" \
    "$PY" -m pip install -q --no-deps --no-build-isolation --target "$SITE" "$BUILD/mmcv-2.1.0" \
    > "$OUT/mmcv_build.log" 2>&1 || { log "(2) mmcv CUDA build FAILED: tail of $OUT/mmcv_build.log:"; tail -30 "$OUT/mmcv_build.log"; exit 1; }
  log "(2) mmcv 2.1.0 CUDA ops built for $ARCH in $((SECONDS - t))s with $(nproc) jobs"
  (cd "$BUILD/mmcv-2.1.0" && "$PY" -m pip install -q --no-deps --no-build-isolation \
    --target "$SITE" "$WHL"/xtcocotools-1.14.3.tar.gz) >> "$OUT/mmcv_build.log" 2>&1 || log "xtcocotools build failed (pose metrics only)"
  CHECK=(--arch "$ARCH" --compare-cuda)
else
  log "(2) dry run: no CUDA build; the installed mmcv is checked instead"
  CHECK=(--cpu-only)
fi

# (3) what the extension holds, and CUDA == CPU for the three ops
"$PY" tools/check_mmcv_cuda.py "${CHECK[@]}" 2>&1 | tee "$OUT/check_mmcv_cuda.txt"
log "(3) $(tail -1 "$OUT/check_mmcv_cuda.txt")"

# (4) one training iteration of each detector at full resolution, fp32 and AMP
DEMO=(model.backbone.init_cfg=None model.backbone.norm_eval=False
      train_dataloader.dataset.data_root=data/demo/det/ val_dataloader.dataset.data_root=data/demo/det/
      train_dataloader.dataset.ann_file=annotations/instances_train.json
      val_dataloader.dataset.ann_file=annotations/instances_val.json
      train_dataloader.dataset.data_prefix.img=images/ val_dataloader.dataset.data_prefix.img=images/
      "train_dataloader.dataset.metainfo.classes=(bottle,bus,car,chair,diningtable,person,sofa)"
      "val_dataloader.dataset.metainfo.classes=(bottle,bus,car,chair,diningtable,person,sofa)"
      val_evaluator.ann_file=data/demo/det/annotations/instances_val.json
      train_cfg.max_epochs=1 default_hooks.logger.interval=1)
declare -A HEADS=(
  [configs/faster_rcnn_hrnetv2p_w32_2x.py]=model.roi_head.bbox_head.num_classes=7
  [configs/detection/fcos_hrnetv2p-w32-gn-head_ms-640-800-4xb4-2x_coco.py]=model.bbox_head.num_classes=7
  [configs/detection/mask-rcnn_hrnetv2p-w32_1x_coco.py]="model.roi_head.bbox_head.num_classes=7 model.roi_head.mask_head.num_classes=7")
for config in "${!HEADS[@]}"; do
  for amp in "" --amp; do
    name="$(basename "$config" .py)${amp:+-amp}"
    # shellcheck disable=SC2206
    cmd=("$PY" tools/train.py "$config" --work-dir "$OUT/work/$name" $amp --cfg-options "${DEMO[@]}" ${HEADS[$config]})
    if [ "$MODE" = dry ]; then
      # The command's own parsing and config building (overrides applied); the training
      # itself runs only on the GPU.
      "$PY" - "${cmd[@]:2}" <<'EOF' || exit 1
import importlib.util, sys
spec = importlib.util.spec_from_file_location('train_tool', 'tools/train.py')
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)
import hrnet_mm.plugin  # noqa: F401  (the shims; HRNet/HRFPN registered into the toolboxes)
cfg = tool.build_cfg(tool.parse_args(sys.argv[1:]))
assert cfg.train_dataloader.dataset.data_root == 'data/demo/det/', cfg.train_dataloader.dataset
EOF
      log "(4) dry run: would run ${cmd[*]}"
      continue
    fi
    t=$SECONDS
    "${cmd[@]}" > "$OUT/$name.log" 2>&1 || { log "(4) $name FAILED: see $OUT/$name.log"; tail -20 "$OUT/$name.log"; continue; }
    per_iter="$(grep -o ' time: [0-9.]*' "$OUT/$name.log" | tail -1 | awk '{print $2}')"
    memory="$(grep -o ' memory: [0-9]*' "$OUT/$name.log" | sort -k2 -n | tail -1 | awk '{print $2}')"
    log "(4) $name: ${per_iter:-?} s/iter, peak ${memory:-?} MB (whole run $((SECONDS - t))s)"
  done
done

# (5) the speed and memory tables against the peers
if [ "$MODE" = run ]; then
  "$PY" tools/benchmark.py --device cuda --dtype bf16 --compile --with-cp --widths 32 \
    --write "$OUT/benchmarks_gpu.md" 2>&1 | tee "$OUT/benchmark.log" | tail -40
  log "(5) benchmark tables in $OUT/benchmarks_gpu.md"
else
  "$PY" tools/benchmark.py --help > /dev/null && log "(5) dry run: tools/benchmark.py --device cuda --dtype bf16 --compile --with-cp --widths 32"
fi
log "done in $((SECONDS - T0))s; summary in $OUT/summary.txt"
