#!/usr/bin/env bash
# `hark predict` speed (issue 9), all in one run on this machine:
#  1. the 400 ESC-10 clips: `hark predict` (and again with HARK_KERNELS=burn) vs the
#     equivalent Python pipeline (librosa load at 22.05 kHz + log-mel + the PyTorch twin of
#     SB-CNN, batched; python_predict.py) vs decoding alone (hark-audio, the floor); median
#     of $REPEAT interleaved runs, 2 threads each;
#  2. a generated 24-hour recording (22.05 kHz mono WAV) through `hark predict --events`: wall
#     time, audio hours per wall second, peak memory (/usr/bin/time);
#  3. `hark stream` CPU per second of audio (the model's rate) for SB-CNN and Stride-DS, and
#     latency, from its summary.
#
#   bash bench/predict/run.sh      # MODEL=path/to/esc10-sbcnn.hark REPEAT=5 THREADS=2
#
# The model: MODEL, else bench/accuracy/out/esc10-cv/fold1.hark (from bench/accuracy/run.sh),
# else one trained here for 2 epochs (speed does not depend on the weights).
# Python: bench/.venv with librosa and torch (created if missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${HARK_SHARED:-$root/../shared}/data"
repeat="${REPEAT:-3}"
threads="${THREADS:-2}"
target="${CARGO_TARGET_DIR:-$root/target}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
[ -d "$data/esc10" ] || { echo "SKIP: $data/esc10 not found" >&2; exit 0; }

venv="$root/bench/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import librosa, torch' 2>/dev/null || "$venv/bin/pip" install -q librosa torch

(cd "$root" && CARGO_TARGET_DIR="$target" cargo build -q --release -p hark --bin hark && cargo build -q --release -p hark-audio --example decode_bench)
hark="$target/release/hark"
bench="$target/release/examples/decode_bench"

model="${MODEL:-$root/bench/accuracy/out/esc10-cv/fold1.hark}"
if [ ! -f "$model" ]; then
  model="$tmp/esc10.hark"
  "$hark" train "$data/esc10/labels.csv" -o "$model" --epochs 2 --seed 42 --quiet
fi
stride="$tmp/stride.hark"
"$hark" train "$data/esc10/labels.csv" -o "$stride" --model stride-ds --epochs 1 --seed 42 --quiet \
  --cache-dir "$tmp/cache" >/dev/null

tail -n +2 "$data/esc10/labels.csv" | cut -d, -f1 | sed "s#^#$data/esc10/#" > "$tmp/esc10.txt"
export OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1

echo "== 1. 400 ESC-10 clips, $threads threads, median of $repeat interleaved runs"
for ((i = 1; i <= repeat; i++)); do
  s=$(date +%s.%N)
  xargs -a "$tmp/esc10.txt" "$hark" predict "$model" --format csv -o "$tmp/h.csv" --overwrite \
    --threads "$threads" --jobs "$threads" -q
  e=$(date +%s.%N)
  echo "$s $e" | awk '{print $2 - $1}' >> "$tmp/hark.s"
  s=$(date +%s.%N)
  xargs -a "$tmp/esc10.txt" env HARK_KERNELS=burn "$hark" predict "$model" --format csv \
    -o "$tmp/b.csv" --overwrite --threads "$threads" --jobs "$threads" -q
  e=$(date +%s.%N)
  echo "$s $e" | awk '{print $2 - $1}' >> "$tmp/burn.s"
  "$venv/bin/python" "$root/bench/predict/python_predict.py" "$tmp/esc10.txt" "$threads" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])' >> "$tmp/python.s"
  "$bench" --list "$tmp/esc10.txt" --threads "$threads" | tail -1 \
    | sed 's/.*wall_s=\([0-9.]*\).*/\1/' >> "$tmp/decode.s"
done
rows=$(($(wc -l < "$tmp/h.csv") - 1))
python3 - "$tmp" "$rows" <<'PY'
import sys, statistics
tmp, rows = sys.argv[1], int(sys.argv[2])
med = lambda n: statistics.median(float(l) for l in open(f"{tmp}/{n}.s"))
h, p, d, b = med("hark"), med("python"), med("decode"), med("burn")
print(f"hark predict: {h:.2f} s ({400 / h:.0f} clips/s, {rows} rows)")
print(f"hark predict, HARK_KERNELS=burn: {b:.2f} s ({400 / b:.0f} clips/s)")
print(f"python (librosa + PyTorch SB-CNN): {p:.2f} s ({400 / p:.0f} clips/s)")
print(f"decode alone (hark-audio): {d:.2f} s ({400 / d:.0f} clips/s)")
print(f"hark vs python: {p / h:.2f}x faster; hark / decode alone: {h / d:.2f}; plan engine vs burn: {b / h:.2f}x")
PY

echo "== 2. a 24-hour recording (22.05 kHz mono 16-bit WAV, generated)"
"$venv/bin/python" - "$tmp/day.wav" <<'PY'
import sys, wave, numpy as np
sr, hours = 22050, 24
rng = np.random.default_rng(42)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
    for minute in range(hours * 60):
        t = np.arange(60 * sr) / sr
        x = 0.02 * rng.standard_normal(len(t))
        if minute % 7 == 0:  # a tone burst now and then
            x += 0.3 * np.sin(2 * np.pi * (500 + 10 * (minute % 50)) * t) * (t < 5)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
PY
/usr/bin/time -v "$hark" predict "$model" "$tmp/day.wav" --events --format csv -o "$tmp/day.csv" \
  --threads "$threads" -q 2> "$tmp/time.txt"
python3 - "$tmp/time.txt" "$tmp/day.csv" <<'PY'
import sys, re
t = open(sys.argv[1]).read()
wall = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split("\n")[0]
parts = [float(x) for x in wall.split(":")]
sec = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
events = sum(1 for _ in open(sys.argv[2])) - 1
print(f"24 h in {sec:.1f} s wall: {24 / sec * 3600:.0f} h of audio per wall hour "
      f"({24 / sec:.3f} h per wall second); peak memory {rss / 1024:.1f} MiB; {events} events")
PY

echo "== 3. hark stream: CPU per second of audio, latency (10 minutes of 22.05 kHz raw input)"
"$venv/bin/python" - "$tmp/ten.raw" <<'PY'
import sys, numpy as np
sr = 22050
t = np.arange(600 * sr) / sr
x = 0.02 * np.random.default_rng(1).standard_normal(len(t)) + 0.3 * np.sin(2 * np.pi * 700 * t) * ((t % 20) < 5)
open(sys.argv[1], "wb").write((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
PY
for m in "$model" "$stride"; do
  name=$("$hark" info "$m" | sed -n 's/.*architecture: \([a-z_]*\).*/\1/p')
  for k in fast burn; do
    HARK_KERNELS=$k "$hark" stream "$m" --format s16le --rate 22050 --threads 1 -q < "$tmp/ten.raw" \
      2>&1 >/dev/null | grep -E "latency|stream ended" | sed "s/^/$name ($k): /"
  done
done
