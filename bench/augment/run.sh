#!/usr/bin/env bash
# Augmentation runs recorded in RESULTS.md and BENCHMARKS.md (issue 8): ESC-10 on its 5
# official folds with the same recipe as bench/accuracy/run.sh, once per --augment setting,
# and the per-transform throughput. Needs ../shared/data beside the checkout (or DATA=...).
# Usage: bench/augment/run.sh MODEL SPEC...     e.g. bench/augment/run.sh stride-ds none specaugment mixup
#        bench/augment/run.sh speed             the throughput of each transform (one thread)
# Outputs in bench/augment/out/esc10-MODEL-SPEC-sSEED/ (report.json, report.html) and .log files;
# features come from bench/accuracy/run.sh's cache (CACHE=...), so every run reads the same windows.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
OUT=bench/augment/out
SEED=${SEED:-42}
mkdir -p "$OUT"
cargo build --release -q -p hark -p hark-train --bins --example augment_bench
bin=${CARGO_TARGET_DIR:-target}/release
nproc; date -u

if [ "${1:-}" = speed ]; then
  "$bin/examples/augment_bench" | tee "$OUT/speed.jsonl"
  exit 0
fi
model=${1:?model: sbcnn or stride-ds}
shift
for spec in "$@"; do
  name=$(printf '%s' "$spec" | tr ',=@:%' '_____')
  /usr/bin/time -v "$bin/hark" cv "$DATA/esc10" --folds official --preset urban --seed "$SEED" \
      --model "$model" --augment "$spec" --cache-dir "${CACHE:-bench/accuracy/out/cache}" -o "$OUT/esc10-$model-$name-s$SEED" \
      2> >(tee "$OUT/esc10-$model-$name-s$SEED.log" >&2)
done
