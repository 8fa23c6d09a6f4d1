#!/usr/bin/env bash
# Accuracy runs recorded in RESULTS.md: FSDD (official split) and ESC-10 (5 official folds),
# SB-CNN, no augmentation. Needs ../shared/data beside the checkout (or DATA=...).
# Usage: bench/accuracy/run.sh [fsdd|esc10|esc10-stride-ds|all]   (outputs in bench/accuracy/out/)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
OUT=bench/accuracy/out
SEED=${SEED:-42}
what=${1:-all}
mkdir -p "$OUT"
cargo build --release -p hark
hark=${CARGO_TARGET_DIR:-target}/release/hark
nproc; date -u

if [ "$what" = fsdd ] || [ "$what" = all ]; then
  # Seed protocol: 8 kHz, n_fft 256, hop 128, 40 mels, whole clip as one 32-frame window.
  /usr/bin/time -v "$hark" train "$DATA/fsdd" --preset speech --seed "$SEED" \
      --cache-dir "$OUT/cache" -o "$OUT/fsdd.hark" 2> >(tee "$OUT/fsdd-train.log" >&2)
  # Closed-set accuracy (every clip answered, as the literature reports it): --threshold 0
  # ignores the unknown-threshold the model stores (bench/ood measures that one).
  /usr/bin/time -v "$hark" eval "$OUT/fsdd.hark" "$DATA/fsdd" --split test --threshold 0 \
      --cache-dir "$OUT/cache" -o "$OUT/fsdd-eval" 2> >(tee "$OUT/fsdd-eval.log" >&2)
fi

if [ "$what" = esc10 ] || [ "$what" = all ]; then
  # Seed protocol: 22.05 kHz, n_fft 1024, hop 512, 60 mels, 41-frame windows, 50% overlap,
  # per-window mean/std normalisation, mean voting.
  /usr/bin/time -v "$hark" cv "$DATA/esc10" --folds official --preset urban --seed "$SEED" \
      --cache-dir "$OUT/cache" -o "$OUT/esc10-cv" 2> >(tee "$OUT/esc10-cv.log" >&2)
fi

if [ "$what" = esc10-stride-ds ]; then
  # The same protocol with Stride-DS-24 (the microcontroller model; issue 10 exports it).
  /usr/bin/time -v "$hark" cv "$DATA/esc10" --folds official --preset urban --seed "$SEED" \
      --model stride-ds --cache-dir "$OUT/cache" -o "$OUT/esc10-stride-ds-cv" \
      2> >(tee "$OUT/esc10-stride-ds-cv.log" >&2)
fi
