#!/usr/bin/env bash
# Decode + downmix throughput: hark-audio (symphonia) vs librosa.load(path, sr=None).
# Data: all 400 ESC-10 clips (Ogg Vorbis 44.1 kHz) and all 3000 FSDD recordings (WAV 8 kHz)
# from ../shared/data. Both sides single-threaded (hark also on 2 threads as an extra row);
# median wall time of $REPEAT interleaved runs each, in the same invocation. Prints a markdown table.
#
#   bash bench/decode/run.sh            # from the repository root
#   REPEAT=5 CARGO_TARGET_DIR=... bash bench/decode/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${HARK_SHARED:-$root/../shared}/data"
repeat="${REPEAT:-3}"
target="${CARGO_TARGET_DIR:-$root/target}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

[ -d "$data/esc10" ] && [ -d "$data/fsdd" ] || { echo "SKIP: $data/esc10 or $data/fsdd not found" >&2; exit 0; }
tail -n +2 "$data/esc10/labels.csv" | cut -d, -f1 | sed "s#^#$data/esc10/#" > "$tmp/esc10.txt"
tail -n +2 "$data/fsdd/labels.csv" | cut -d, -f1 | sed "s#^#$data/fsdd/#" > "$tmp/fsdd.txt"

# Python side: librosa from PyPI in bench/.venv (gitignored).
venv="$root/bench/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q librosa
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1

(cd "$root" && CARGO_TARGET_DIR="$target" cargo build -q --release -p hark-audio --example decode_bench)
bench="$target/release/examples/decode_bench"

# Runs are interleaved (hark, hark x2, librosa, repeat) so that load from other processes
# hits both sides alike; the median wall time of each side is reported.
for ((i = 1; i <= repeat; i++)); do
  for set in esc10 fsdd; do
    "$bench" --list "$tmp/$set.txt" --threads 1 | tail -1 >> "$tmp/$set.hark1"
    "$bench" --list "$tmp/$set.txt" --threads 2 | tail -1 >> "$tmp/$set.hark2"
    "$venv/bin/python" "$root/bench/decode/librosa_decode.py" "$tmp/$set.txt" 1 | tail -1 >> "$tmp/$set.librosa"
  done
done

librosa_version="$("$venv/bin/python" -c 'import librosa, soundfile; print(f"librosa {librosa.__version__}, soundfile {soundfile.__version__}")')"
python3 - "$tmp" "$librosa_version" "$repeat" <<'PY'
import sys
tmp, version, repeat = sys.argv[1], sys.argv[2], sys.argv[3]
def read(path):
    runs = [dict(kv.split("=") for kv in line.split()) for line in open(path) if line.strip()]
    runs.sort(key=lambda r: float(r["wall_s"]))
    return runs[len(runs) // 2]  # the median run (the upper one of two middles)
print(f"Decode + downmix to mono, native rate; median of {repeat} interleaved runs; {version}.\n")
print("| data set | decoder | threads | files | audio s | wall s | files/s | audio s per wall s | vs librosa |")
print("|---|---|---|---|---|---|---|---|---|")
for name, label in [("esc10", "ESC-10 (400 Ogg Vorbis, 44.1 kHz)"), ("fsdd", "FSDD (3000 WAV PCM16, 8 kHz)")]:
    ref = read(f"{tmp}/{name}.librosa")
    for suffix, who, threads in [("librosa", "librosa.load(sr=None)", 1), ("hark1", "hark-audio load_mono", 1), ("hark2", "hark-audio load_mono", 2)]:
        r = read(f"{tmp}/{name}.{suffix}")
        ratio = float(ref["wall_s"]) / float(r["wall_s"])
        print(f"| {label} | {who} | {threads} | {r['files']} | {float(r['audio_s']):.1f} | {float(r['wall_s']):.3f} | "
              f"{float(r['files_per_s']):.0f} | {float(r['x_realtime']):.0f} | {ratio:.2f}x |")
PY
