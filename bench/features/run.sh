#!/usr/bin/env bash
# Speed of hark-features vs librosa on the same input, same run (see BENCHMARKS.md).
#   bash bench/features/run.sh            # REPEATS=5 by default
# Builds crates/features/examples/logmel_bench.rs in release mode, times log-mel of a
# 10-minute 22.05 kHz signal (1 and 2 threads) and load + log-mel of the 3000 FSDD files, then
# times librosa (virtualenv bench/.venv, created if missing) on the same signal and files and
# prints a markdown table of x-realtime and the hark/librosa ratio (medians).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
REPEATS="${REPEATS:-5}"
FSDD="$SHARED/data/fsdd"
if [ ! -f "$FSDD/labels.csv" ]; then
  echo "SKIP: $FSDD not found (set SHARED=/path/to/shared)" >&2
  exit 0
fi
VENV="$ROOT/bench/.venv"
if ! "$VENV/bin/python" -c "import librosa" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "librosa==0.11.0"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -q --release -p hark-features --example logmel_bench --manifest-path "$ROOT/Cargo.toml"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$CARGO_TARGET_DIR/release/examples/logmel_bench" --signal-out "$TMP/signal.f32" --fsdd "$FSDD" \
  --repeats "$REPEATS" > "$TMP/hark.jsonl"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
  "$VENV/bin/python" "$ROOT/bench/features/bench_librosa.py" --signal "$TMP/signal.f32" --fsdd "$FSDD" \
  --hark "$TMP/hark.jsonl" --repeats "$REPEATS"
