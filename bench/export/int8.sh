#!/usr/bin/env bash
# Issue 10 int8 figures (RESULTS.md, "int8"): every ESC-10 fold model of a `hark cv` run,
# quantised to int8 on 300 windows of its own training folds' clips (the sample
# `hark export --int8 --calibrate` draws), exported to C (gcc -O2 on this machine) and run
# on its own test fold's clips: int8 against the integer reference (bit for bit) and against
# float32 hark (decisions, accuracy).
# usage: bench/export/int8.sh CV_DIR   e.g. bench/accuracy/out/esc10-stride-ds-cv
set -euo pipefail
cd "$(dirname "$0")/../.."
cv=$1
DATA=${DATA:-../shared/data}
cargo build -q -p hark-export --example c_agreement
bin=${CARGO_TARGET_DIR:-target}/debug/examples/c_agreement
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
date -u
for f in 1 2 3 4 5; do
  awk -F, -v f="$f" 'NR > 1 && $3 == f { print "'"$DATA"'/esc10/" $1 }' "$DATA/esc10/labels.csv" > "$work/test"
  awk -F, -v f="$f" 'NR > 1 && $3 != f { print "'"$DATA"'/esc10/" $1 }' "$DATA/esc10/labels.csv" > "$work/train"
  echo "fold $f int8: $("$bin" "$cv/fold$f.hark" "$work/c" --int8 "$work/train" $(cat "$work/test"))"
done
date -u
