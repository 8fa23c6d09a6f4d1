#!/usr/bin/env bash
# The main job on bundled data: build hark, train SB-CNN on demo/fsdd-mini, evaluate on its
# test split, and classify a few recordings. Outputs go to demo-out/.
set -euo pipefail
cd "$(dirname "$0")"

cargo build --release -p hark
hark=target/release/hark
out=demo-out
mkdir -p "$out"

"$hark" info demo/fsdd-mini/recordings/0_george_0.wav demo/fsdd-mini/recordings/7_theo_1.wav

"$hark" check demo/fsdd-mini

"$hark" train demo/fsdd-mini --preset speech --epochs 30 --seed 42 -o "$out/model.hark"
"$hark" info "$out/model.hark"
"$hark" eval "$out/model.hark" demo/fsdd-mini -o "$out/eval"
"$hark" predict "$out/model.hark" \
  demo/fsdd-mini/recordings/0_george_0.wav \
  demo/fsdd-mini/recordings/3_lucas_1.wav \
  demo/fsdd-mini/recordings/7_yweweler_0.wav
"$hark" spectrogram demo/fsdd-mini/recordings/7_yweweler_0.wav --model "$out/model.hark" -o "$out/7_yweweler_0.png"

echo
echo "Done. Report: $out/eval/report.html (predictions: $out/eval/predictions.csv)  Model: $out/model.hark  Curves: $out/model.history.png"
