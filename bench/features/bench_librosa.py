"""librosa side of bench/features/run.sh, and the comparison table.

Times, single-threaded, on the very same input as hark's `logmel_bench` example:
  * librosa.feature.melspectrogram + power_to_db(ref=np.max) on the 10-minute 22.05 kHz signal
    (n_fft 1024, hop 512, 60 mels);
  * librosa.load(sr=None) + the same log-mel (n_fft 256, hop 128, 40 mels) for every FSDD WAV.
Reports the median wall time of --repeats runs after one warm-up, then prints a markdown table
of x-realtime (audio seconds per wall second) and the hark/librosa speed ratio.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import time

import numpy as np
import librosa


def median_time(fn, repeats):
    fn()  # warm-up (imports, caches, numba)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def logmel(y, sr, n_fft, hop, n_mels):
    m = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, power=2.0)
    return librosa.power_to_db(m, ref=np.max, amin=1e-10, top_db=80.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--signal", required=True, help="raw little-endian f32 signal written by logmel_bench")
    ap.add_argument("--fsdd", required=True, help="FSDD folder (with recordings/)")
    ap.add_argument("--hark", required=True, help="JSON lines printed by logmel_bench")
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()

    y = np.fromfile(a.signal, dtype="<f4")
    sr = 22050
    wall = median_time(lambda: logmel(y, sr, 1024, 512, 60), a.repeats)
    lib = {"logmel_10min": (len(y) / sr, wall)}

    files = sorted(pathlib.Path(a.fsdd, "recordings").glob("*.wav"))
    total = [0]

    def fsdd():
        total[0] = 0
        for f in files:
            yy, fsr = librosa.load(f, sr=None)
            total[0] += len(yy)
            logmel(yy, fsr, 256, 128, 40)

    wall = median_time(fsdd, a.repeats)
    lib["fsdd"] = (total[0] / 8000.0, wall)

    hark = [json.loads(line) for line in open(a.hark) if line.strip().startswith("{")]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"librosa {librosa.__version__}, numpy {np.__version__}; median of {a.repeats} runs\n")
    print("| case | audio (s) | hark x realtime | librosa x realtime | hark / librosa |")
    print("|---|---:|---:|---:|---:|")
    for h in hark:
        key = "fsdd" if h["case"].startswith("fsdd") else "logmel_10min"
        l_audio, l_wall = lib[key]
        hx = h["audio_s"] / h["wall_s"]
        lx = l_audio / l_wall
        print(f"| {h['case']} | {h['audio_s']:.0f} | {hx:,.0f}x | {lx:,.0f}x (1 thread) | {hx / lx:.1f} |")


if __name__ == "__main__":
    main()
