#!/usr/bin/env bash
# Benchmark (classical classifiers, issue 12): the runs behind RESULTS.md "Classical
# classifiers" and BENCHMARKS.md "Classical classifiers: choosing the crate".
#
#   cargo build --release -p hark -p hark-pipeline --example classical_features
#   bench/classical/run.sh            # hark runs (about 10 minutes on 2 cores)
#   bench/classical/run.sh crates     # linfa vs smartcore vs scikit-learn on the same features
#
# The crate comparison needs bench/.venv with numpy and scikit-learn
# (python3 -m venv bench/.venv && bench/.venv/bin/pip install numpy scikit-learn) and builds
# bench/classical/compare (out of the workspace). Outputs go to bench/classical/out.
set -euo pipefail
cd "$(dirname "$0")/../.."
HARK=${HARK:-target/release/hark}
DATA=${DATA:-../shared/data}
OUT=bench/classical/out
mkdir -p "$OUT"
timed() { /usr/bin/time -f "  wall %e s, max RSS %M KB" "$@"; }

if [[ "${1:-}" == crates ]]; then
    FEATS="$OUT/features-speech-40x64"
    target/release/examples/classical_features "$DATA/fsdd" "$FEATS" speech:40:64
    (cd bench/classical/compare && cargo build --release -q)
    echo "== scikit-learn"
    OMP_NUM_THREADS=2 bench/.venv/bin/python bench/classical/sklearn_ref.py "$FEATS/train.csv" "$FEATS/test.csv" 2>/dev/null
    echo "== linfa, smartcore"
    timed bench/classical/compare/target/release/classical-compare "$FEATS/train.csv" "$FEATS/test.csv"
    exit 0
fi

echo "== FSDD: log-mel statistics + logistic regression (speech preset; 32 and 64 frames)"
for frames in 32 64; do
    timed "$HARK" train "$DATA/fsdd" --preset speech --window-frames "$frames" --model logreg \
        --no-threshold --seed 42 -o "$OUT/fsdd-stats-$frames.hark"
    "$HARK" eval "$OUT/fsdd-stats-$frames.hark" "$DATA/fsdd" -o "$OUT/fsdd-stats-$frames-eval" | head -1
done

echo "== ESC-10 SB-CNN (fold 1 held out, seed 1): the embedding model"
timed "$HARK" train "$DATA/esc10" --preset urban --test-fold 1 --seed 1 -q -o "$OUT/esc10-sbcnn-f1.hark"
"$HARK" eval "$OUT/esc10-sbcnn-f1.hark" "$DATA/esc10" -o "$OUT/esc10-sbcnn-f1-eval" | head -1

echo "== FSDD: logistic regression on the ESC-10 SB-CNN's embedding"
timed "$HARK" train "$DATA/fsdd" --model logreg --embed "$OUT/esc10-sbcnn-f1.hark" \
    --no-threshold --seed 42 -o "$OUT/fsdd-embed-esc10.hark"
"$HARK" eval "$OUT/fsdd-embed-esc10.hark" "$DATA/fsdd" -o "$OUT/fsdd-embed-esc10-eval" | head -1

echo "== ESC-10 5-fold (official folds): log-mel statistics + logistic regression"
timed "$HARK" cv "$DATA/esc10" --folds official --preset urban --model logreg --seed 42 \
    -o "$OUT/esc10-cv-stats" | tail -4
