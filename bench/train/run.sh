#!/usr/bin/env bash
# SB-CNN training/inference speed: burn Flex (hark's training) and hark's plan engine
# (inference) vs PyTorch CPU, same run, same threads.
#
#   bash bench/train/run.sh            # threads = 2 (set THREADS=n to change)
#
# PyTorch is taken from .venv-torch or bench/.venv-torch if present (python3 -m venv .venv-torch &&
# .venv-torch/bin/pip install torch), else from the system python; skipped if absent.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS="${THREADS:-2}"
export RAYON_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
PY=python3
[ -x .venv-torch/bin/python ] && PY=.venv-torch/bin/python
[ -x bench/.venv-torch/bin/python ] && PY=bench/.venv-torch/bin/python
cargo build --release -p hark-train --example train_bench
BIN="${CARGO_TARGET_DIR:-target}/release/examples/train_bench"
OUT="$(mktemp)"
for shape in "60 41" "40 32"; do
  "$BIN" $shape | tee -a "$OUT"
  if "$PY" -c 'import torch' 2>/dev/null; then
    "$PY" bench/train/pytorch_sbcnn.py $shape | tee -a "$OUT"
  else
    echo "SKIP: PyTorch not installed for $PY; burn figures only" >&2
  fi
done
# Ratios hark (burn Flex; the plan engine for inference) / PyTorch per measurement.
python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
key = lambda r: (r["what"], r["input"], r["batch"])
torch = {key(r): r for r in rows if r["impl"] == "pytorch"}
for r in rows:
    if r["impl"] in ("burn-flex", "hark-engine") and key(r) in torch:
        t = torch[key(r)]
        print(f'{r["what"]:<10} {r["input"]:<8} batch {r["batch"]:>2}: {r["impl"]:<11} {r["windows_per_sec"]:>9.1f} '
              f'pytorch {t["windows_per_sec"]:>9.1f} windows/s  ratio {r["windows_per_sec"]/t["windows_per_sec"]:.2f}')
PY
