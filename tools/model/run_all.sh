#!/usr/bin/env bash
# The whole pipeline on the GPU machine (one H200): tokenizer -> train -> ONNX export -> evaluation.
#   bash tools/model/run_all.sh [full|smoke]
# Results land in $OUT (the device tool's output folder; default /tmp/reprise-out) as split tarballs:
#   ckpt.tar.part-*      the float16 transformers checkpoint (+ train_info.json)
#   model.tar.part-*     the finished model folder reprise-tiny/ (onnx/model.onnx, configs, tokenizer, eval/)
# Reassemble here with: bash tools/model/unpack.sh <folder with the parts>
set -euo pipefail
MODE=${1:-full}
OUT=${OUT:-/tmp/reprise-out}
B=${BUILD:-/tmp/reprise-build}
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONUNBUFFERED=1
mkdir -p "$OUT" "$B"
if [ "$MODE" = smoke ]; then TOKCONV=3000; BUDGET=${BUDGET:-60}; else TOKCONV=4000; BUDGET=${BUDGET:-365}; fi
T0=$(date +%s)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, transformers, tokenizers, onnx, onnxruntime; print('torch', torch.__version__, 'transformers', transformers.__version__, 'tokenizers', tokenizers.__version__, 'onnx', onnx.__version__, 'ort', onnxruntime.__version__)"

if [ -n "${TOKDIR:-}" ]; then
  cp -r "$TOKDIR" "$B/tok"   # continuing: reuse the tokenizer the checkpoint was trained with
else
  python3 "$HERE/build_tokenizer.py" --out "$B/tok" --conversations $TOKCONV
fi
echo "[time] tokenizer done at $(( $(date +%s) - T0 ))s"
if [ -n "${SKIP_TRAIN:-}" ]; then
  cp -r "$INIT" "$B/ckpt"   # re-export / re-evaluate an existing checkpoint
else
  python3 "$HERE/train.py" --tok "$B/tok" --out "$B/ckpt" --budget "$BUDGET" ${INIT:+--init "$INIT"} ${TRAIN_ARGS:-}
  echo "[time] training done at $(( $(date +%s) - T0 ))s"
  tar -C "$B" -cf - ckpt tok | split -b 15m - "$OUT/ckpt.tar.part-"
fi
python3 "$HERE/export_onnx.py" --ckpt "$B/ckpt" --tok "$B/tok" --out "$B/reprise-tiny"
cp "$B/ckpt/train_info.json" "$B/reprise-tiny/eval/train_info.json"
echo "[time] export done at $(( $(date +%s) - T0 ))s"
python3 "$HERE/evaluate.py" --ckpt "$B/ckpt" --model "$B/reprise-tiny"
echo "[time] eval done at $(( $(date +%s) - T0 ))s"
du -ab "$B/reprise-tiny"
tar -C "$B" -cf - reprise-tiny | split -b 15m - "$OUT/model.tar.part-"
ls -la "$OUT"
