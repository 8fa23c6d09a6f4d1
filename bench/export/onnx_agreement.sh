#!/usr/bin/env bash
# hark's plan engine vs onnxruntime on trained models' real test windows (issue 10).
# usage: bench/export/onnx_agreement.sh MODEL.hark AUDIO...   (needs bench/.venv with onnx, onnxruntime)
# HARK=path/to/hark uses that binary instead of building target/release/hark.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=$1
shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ -z "${HARK:-}" ]; then
  cargo build -q --release -p hark
  HARK=target/release/hark
fi
"$HARK" export "$model" -o "$out/model.onnx"
cargo run -q -p hark-export --example onnx_agreement -- "$model" "$out/dump" "$@"
bench/.venv/bin/python bench/export/onnx_agreement.py "$out/model.onnx" "$out/dump"
