#!/usr/bin/env bash
# The one command (`npm run train`): prepare -> train -> export -> evaluate (if present).
# Fixed seed and a fixed number of steps, so the same data + the same machine type reproduce models/ exactly.
#
# Environment overrides (defaults = the official run):
#   MOTIF_STEPS=8000        optimizer steps (batch 32); ~38 min on 2 idle CPU cores (~115 examples/s)
#   MOTIF_SEED=1234
#   MOTIF_BATCH=32
#   MOTIF_PRESET=base       base (d256 x4, 3.7M params) | small (d192 x4) | tiny (fixture size)
#   MOTIF_THREADS=2
#   MOTIF_SKIP_PREPARE=1    reuse training/.cache/dataset.npz if it exists
#   MOTIF_SKIP_EVAL=1       skip sampling + objective evaluation
#   MOTIF_TINY=1            also regenerate test/fixtures/tiny-model.{onnx,json}
#   MOTIF_OUT=<dir>         where motif-v1.onnx/.json go (default: models/), e.g. for a smoke test
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$HERE"

STEPS="${MOTIF_STEPS:-8000}"
SEED="${MOTIF_SEED:-1234}"
BATCH="${MOTIF_BATCH:-32}"
PRESET="${MOTIF_PRESET:-base}"
THREADS="${MOTIF_THREADS:-2}"
DATA="$HERE/.cache/dataset.npz"
CKPT="$HERE/.cache/checkpoints/motif-v1.pt"
SUMMARY="$HERE/.cache/checkpoints/motif-v1.summary.json"
OUT_DIR="${MOTIF_OUT:-$REPO/models}"
ONNX="$OUT_DIR/motif-v1.onnx"

log() { printf '\n== %s  [%s]\n' "$*" "$(date -u +%H:%M:%S)"; }

# --- environment -------------------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  log "creating training/.venv"
  python3 -m venv .venv
fi
PY="$HERE/.venv/bin/python"
if ! "$PY" -c "import torch, onnx, onnxruntime, numpy, mido" >/dev/null 2>&1; then
  log "installing training/requirements.txt"
  "$PY" -m pip install -q -r requirements.txt
fi
export PYTHONHASHSEED=0
export OMP_NUM_THREADS="$THREADS"
"$PY" -c "import torch, onnxruntime; print('torch', torch.__version__, '| onnxruntime', onnxruntime.__version__)"

# --- 1. prepare ----------------------------------------------------------------------------------------
if [ "${MOTIF_SKIP_PREPARE:-0}" = "1" ] && [ -f "$DATA" ]; then
  log "prepare: skipped (MOTIF_SKIP_PREPARE=1, using $DATA)"
else
  log "prepare -> $DATA"
  "$PY" -m motif.prepare --out "$DATA" --seed 0
fi

# --- 2. train ------------------------------------------------------------------------------------------
log "train: preset=$PRESET steps=$STEPS batch=$BATCH seed=$SEED threads=$THREADS"
"$PY" -m motif.train --data "$DATA" --preset "$PRESET" --steps "$STEPS" --batch-size "$BATCH" \
  --seed "$SEED" --threads "$THREADS" --out "$CKPT" --summary "$SUMMARY"

# --- 3. export (verifies onnxruntime == PyTorch, fails loudly otherwise) --------------------------------
log "export -> $ONNX"
"$PY" -m motif.export --ckpt "$CKPT" --out "$ONNX" --threads "$THREADS"

if [ "${MOTIF_TINY:-0}" = "1" ]; then
  log "tiny fixture -> test/fixtures/tiny-model.{onnx,json}"
  "$PY" -m motif.export --tiny
fi

# --- 4. evaluate (if the evaluation code is present) ---------------------------------------------------
if [ "${MOTIF_SKIP_EVAL:-0}" != "1" ] && [ -f motif/evaluate.py ]; then
  log "sample -> .cache/eval/generated.jsonl"
  "$PY" -m motif.sampling --model "$ONNX" --per-style 16 --bars 8 --seed "$SEED" \
    --out "$HERE/.cache/eval/generated.jsonl"
  log "evaluate -> .cache/eval/report.md"
  "$PY" -m motif.evaluate --dataset "$DATA" --generated "$HERE/.cache/eval/generated.jsonl" \
    --classifier "$HERE/.cache/style_classifier.pt" --train-classifier --out "$HERE/.cache/eval/report.md" \
    || echo "evaluation failed (the model is exported; see above)" >&2
fi

log "done: $ONNX ($(du -h "$ONNX" | cut -f1)), $OUT_DIR/motif-v1.json"
