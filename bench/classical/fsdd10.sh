#!/usr/bin/env bash
# Benchmark (issue 12): FSDD with 10% of its training files, stratified by digit, and the
# whole test split: training from scratch vs fine-tuning an ESC-10 SB-CNN (--init) vs logistic
# regression on that SB-CNN's embedding (--embed), 3 seeds each. Needs the ESC-10 model of
# `bench/classical/run.sh` (bench/classical/out/esc10-sbcnn-f1.hark).
#
#   bench/classical/fsdd10.sh        # about 5 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/../.."
HARK=${HARK:-target/release/hark}
DATA=${DATA:-../shared/data}
OUT=bench/classical/out/fsdd10
BASE=bench/classical/out/esc10-sbcnn-f1.hark
mkdir -p "$OUT"
FSDD=$(cd "$DATA/fsdd" && pwd)
# Every 10th training file of each digit in path order (27 per digit), all 300 test files.
awk -F, -v root="$FSDD" 'NR == 1 { print "path,label,split"; next }
    $5 == "test" { print root "/" $1 "," $2 ",test"; next }
    { n[$2]++; if (n[$2] % 10 == 1) print root "/" $1 "," $2 ",train" }' \
    "$DATA/fsdd/labels.csv" > "$OUT/fsdd10.csv"
echo "manifest: $(grep -c ',train$' "$OUT/fsdd10.csv") training, $(grep -c ',test$' "$OUT/fsdd10.csv") test files"
timed() { /usr/bin/time -f "  wall %e s" "$@"; }
acc() { "$HARK" eval "$1" "$OUT/fsdd10.csv" -o "$1.eval" | head -1; }
for seed in 1 2 3; do
    echo "== seed $seed: SB-CNN from scratch (speech preset)"
    timed "$HARK" train "$OUT/fsdd10.csv" --preset speech --no-threshold --seed "$seed" -q -o "$OUT/scratch-$seed.hark"
    acc "$OUT/scratch-$seed.hark"
    echo "== seed $seed: SB-CNN fine-tuned from the ESC-10 model (its features), lr 1e-4"
    timed "$HARK" train "$OUT/fsdd10.csv" --init "$BASE" --lr 1e-4 --no-threshold --seed "$seed" -q -o "$OUT/tuned-$seed.hark"
    acc "$OUT/tuned-$seed.hark"
    echo "== seed $seed: logistic regression on the ESC-10 model's embedding"
    timed "$HARK" train "$OUT/fsdd10.csv" --model logreg --embed "$BASE" --no-threshold --seed "$seed" -q -o "$OUT/embed-$seed.hark"
    acc "$OUT/embed-$seed.hark"
done
