#!/usr/bin/env bash
# Issue 10 figures (RESULTS.md, "Deployment"): every ESC-10 fold model of a `hark cv` run
# against its own test fold's clips, exported to C (compiled with gcc -O2 on this machine)
# and to ONNX (onnxruntime from bench/.venv), compared window by window with hark.
# usage: bench/export/run.sh CV_DIR   e.g. bench/accuracy/out/esc10-stride-ds-cv
set -euo pipefail
cd "$(dirname "$0")/../.."
cv=$1
DATA=${DATA:-../shared/data}
HARK=${HARK:-target/release/hark}
[ -x "$HARK" ] || cargo build -q --release -p hark
export HARK
cargo build -q -p hark-export --example c_agreement --example onnx_agreement
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in 1 2 3 4 5; do
  awk -F, -v f="$f" 'NR > 1 && $3 == f { print "'"$DATA"'/esc10/" $1 }' "$DATA/esc10/labels.csv" > "$work/clips"
  echo "fold $f C:    $(cargo run -q -p hark-export --example c_agreement -- "$cv/fold$f.hark" "$work/c" $(cat "$work/clips"))"
  echo "fold $f ONNX: $(bench/export/onnx_agreement.sh "$cv/fold$f.hark" $(cat "$work/clips") | tail -1)"
done
