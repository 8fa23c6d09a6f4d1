"""Reference side of bench/decode/run.sh: decode + downmix with librosa.load(path, sr=None).

Usage: python librosa_decode.py LIST_FILE REPEAT
Prints: files=<n> audio_s=<s> wall_s=<best of REPEAT> files_per_s=<..> x_realtime=<..>
"""
import sys
import time

import librosa

paths = [p for p in open(sys.argv[1]).read().splitlines() if p.strip()]
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
librosa.load(paths[0], sr=None)  # warm-up: imports, numba/soundfile initialisation
best = float("inf")
audio_s = 0.0
for _ in range(repeat):
    audio_s = 0.0
    t0 = time.perf_counter()
    for p in paths:
        y, sr = librosa.load(p, sr=None)  # mono=True: mean of channels, like hark's load_mono
        audio_s += len(y) / sr
    best = min(best, time.perf_counter() - t0)
print(f"files={len(paths)} audio_s={audio_s:.3f} wall_s={best:.4f} "
      f"files_per_s={len(paths) / best:.1f} x_realtime={audio_s / best:.1f}")
