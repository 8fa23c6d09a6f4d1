"""The equivalent Python pipeline for `hark predict` on ESC-10 (bench/predict/run.sh).

librosa.load at 22.05 kHz, log-mel (n_fft 1024, hop 512, 60 mels, power_to_db ref 1, top_db
80 per window), 41-frame windows with 50% overlap, mean/std normalisation per window, the
PyTorch twin of SB-CNN (bench/train/pytorch_sbcnn.py, random weights: speed only) in eval
mode, all windows of a file in one batch, mean pooling, arg-max. Decoding and features run in
a pool of THREADS processes (as a user would parallelise it); the model runs in the parent
with THREADS torch threads. Prints one JSON line: clips, seconds, clips_per_sec.

Usage: python python_predict.py FILELIST THREADS
"""
import json
import sys
import time
from multiprocessing import Pool

import numpy as np

SR, N_FFT, HOP, MELS, FRAMES, STEP = 22050, 1024, 512, 60, 41, 20


def windows(path):
    import librosa

    y, _ = librosa.load(path, sr=SR)
    s = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=MELS)
    db = librosa.power_to_db(s, ref=1.0, top_db=None)
    n = db.shape[1]
    if n < FRAMES:
        db = np.pad(db, ((0, 0), (0, FRAMES - n)))
        n = FRAMES
    out = []
    for start in range(0, n - FRAMES + 1, STEP):
        w = db[:, start:start + FRAMES]
        w = np.maximum(w, w.max() - 80.0)
        out.append((w - w.mean()) / (w.std() + 1e-8))
    return np.stack(out).astype(np.float32)


def main():
    files = [l.strip() for l in open(sys.argv[1]) if l.strip()]
    threads = int(sys.argv[2])
    import torch

    sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/train")
    from pytorch_sbcnn import sbcnn

    torch.set_num_threads(threads)
    torch.manual_seed(42)
    model = sbcnn(MELS, FRAMES).eval()
    t = time.perf_counter()
    labels = []
    with Pool(threads) as pool, torch.inference_mode():
        for w in pool.imap(windows, files, chunksize=4):
            p = torch.softmax(model(torch.from_numpy(w)[:, None]), dim=1).mean(0)
            labels.append(int(p.argmax()))
    dt = time.perf_counter() - t
    print(json.dumps({"impl": "python", "clips": len(labels), "seconds": dt,
                      "clips_per_sec": len(labels) / dt}))


if __name__ == "__main__":
    main()
