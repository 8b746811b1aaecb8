#!/usr/bin/env bash
# Two training configurations side by side, one per GPU (device kind nvidia-h200-x2), each a plain
# run_all.sh; the one with the better held-out recall (onnxruntime) is kept in $OUT as the usual tarballs.
#   A_ARGS / B_ARGS: TRAIN_ARGS of each run; INIT / TOKDIR / BUDGET as in run_all.sh (shared).
#   bash tools/model/run_pair.sh 2>&1 | tee $OUT/log.txt
set -uo pipefail
OUT=${OUT:-/tmp/reprise-out}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
run() { # name gpu args
  CUDA_VISIBLE_DEVICES=$2 OUT=/tmp/pair-$1/out BUILD=/tmp/pair-$1/build TRAIN_ARGS="$3 --workers 13" \
    bash "$HERE/run_all.sh" full >"/tmp/pair-$1.log" 2>&1
  echo "[pair] $1 exited $?"
}
run A 0 "${A_ARGS:?}" &
run B 1 "${B_ARGS:?}" &
wait
best=""; bestacc=-1
for n in A B; do
  acc=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['onnxruntime']['recall']['acc'])" \
    "/tmp/pair-$n/build/reprise-tiny/eval/results.json" 2>/dev/null || echo -1)
  echo "[pair] $n recall $acc"
  if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$acc" "$bestacc"; then
    best=$n; bestacc=$acc
  fi
done
echo "[pair] keeping $best"
for n in A B; do echo "===== run $n"; cat "/tmp/pair-$n.log"; done >"$OUT/runs.log"
[ -n "$best" ] && cp /tmp/pair-$best/out/*.tar.part-* "$OUT/"
ls -la "$OUT"
