#!/usr/bin/env bash
# Out-of-distribution check recorded in RESULTS.md: how often a model says `unknown` on audio
# unlike its training data, at the threshold chosen on its validation clips, and how well its
# top probability separates in- from out-of-distribution clips (AUROC).
#
# Trains its own two models with `hark train`'s defaults (so the threshold is the one training
# chooses on the validation clips): FSDD on its training split, ESC-10 with fold 1 held out.
# Usage: bench/ood/run.sh   (outputs in bench/ood/out/)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
CACHE=bench/accuracy/out/cache
SEED=${SEED:-42}
OUT=bench/ood/out
mkdir -p "$OUT"
cargo build --release -p hark
hark=${CARGO_TARGET_DIR:-target}/release/hark
nproc; date -u
start=$(date +%s)

"$hark" train "$DATA/fsdd" --preset speech --seed "$SEED" --cache-dir "$CACHE" \
    -o "$OUT/fsdd.hark" --quiet
"$hark" train "$DATA/esc10" --preset urban --test-fold 1 --seed "$SEED" --cache-dir "$CACHE" \
    -o "$OUT/esc10-fold1.hark" --quiet

fsdd_test=$(awk -F, -v d="$DATA/fsdd" 'NR > 1 && $5 == "test" { print d "/" $1 }' "$DATA/fsdd/labels.csv")
esc_all=$(awk -F, -v d="$DATA/esc10" 'NR > 1 { print d "/" $1 }' "$DATA/esc10/labels.csv")
esc_fold1=$(awk -F, -v d="$DATA/esc10" 'NR > 1 && $3 == 1 { print d "/" $1 }' "$DATA/esc10/labels.csv")

predict() { # MODEL OUTFILE FILES...
  local model=$1 out=$2; shift 2
  "$hark" predict "$model" --json "$@" > "$out" 2> "$out.stderr" || true
}
# shellcheck disable=SC2086
predict "$OUT/fsdd.hark" "$OUT/fsdd-in.jsonl" $fsdd_test
# shellcheck disable=SC2086
predict "$OUT/fsdd.hark" "$OUT/fsdd-out.jsonl" $esc_all
# shellcheck disable=SC2086
predict "$OUT/esc10-fold1.hark" "$OUT/esc10-in.jsonl" $esc_fold1
# shellcheck disable=SC2086
predict "$OUT/esc10-fold1.hark" "$OUT/esc10-out.jsonl" $fsdd_test

warned() { # IN OUT: inputs that got an input-profile warning
  for f in "$@"; do
    echo "$(basename "$f" .jsonl): $(grep -c . "$f") clips, $(grep '^warning: ' "$f.stderr" | cut -d: -f2 | sort -u | wc -l) warned"
  done
}
echo "== FSDD model: in = FSDD test split, out = all 400 ESC-10 clips"
"$hark" info "$OUT/fsdd.hark" | grep decision
python3 bench/ood/ood.py "$OUT/fsdd-in.jsonl" "$OUT/fsdd-out.jsonl"
warned "$OUT/fsdd-in.jsonl" "$OUT/fsdd-out.jsonl"
echo "== ESC-10 fold-1 model: in = ESC-10 fold 1 (its test fold), out = FSDD test split"
"$hark" info "$OUT/esc10-fold1.hark" | grep decision
python3 bench/ood/ood.py "$OUT/esc10-in.jsonl" "$OUT/esc10-out.jsonl"
warned "$OUT/esc10-in.jsonl" "$OUT/esc10-out.jsonl"
echo "wall: $(( $(date +%s) - start )) s"
