"""PyTorch CPU reference for hark's SB-CNN training/inference benchmark.

Same architecture as crates/model/src/sbcnn.rs (conv5x5 "same" -> BN -> maxpool 4x2 -> ReLU,
x2 with 24/48 filters, conv5x5 48 -> BN -> ReLU, flatten, dropout .5, dense 64, ReLU,
dropout .5, dense 10), same shapes (batch 64, 1 x MELS x FRAMES), same optimiser (Adam,
lr 1e-3, eps 1e-5 like burn), random inputs. Prints JSON lines like train_bench.rs.

Usage: python pytorch_sbcnn.py [MELS FRAMES]   (threads: OMP_NUM_THREADS / torch.set_num_threads)
"""
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

CLASSES, BATCH, BATCHES, EPOCHS, REPEATS = 10, 64, 8, 5, 20


def sbcnn(mels, frames, n_classes=CLASSES):
    def block(cin, cout, pool):
        layers = [nn.Conv2d(cin, cout, 5, padding=2), nn.BatchNorm2d(cout)]
        if pool:
            layers.append(nn.MaxPool2d(pool))
        layers.append(nn.ReLU())
        return layers

    ph, pw = min(4, mels), min(2, frames)
    h, w = mels // ph, frames // pw
    ph2, pw2 = min(4, h), min(2, w)
    h, w = h // ph2, w // pw2
    return nn.Sequential(
        *block(1, 24, (ph, pw)), *block(24, 48, (ph2, pw2)), *block(48, 48, None),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(48 * h * w, 64), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(64, n_classes),
    )


def main():
    mels, frames = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (60, 41)
    threads = os.environ.get("OMP_NUM_THREADS", str(torch.get_num_threads()))
    torch.manual_seed(42)
    model = sbcnn(mels, frames)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-5)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(BATCH * BATCHES, 1, mels, frames) - 0.5
    y = torch.arange(BATCH * BATCHES) % CLASSES
    rates = []
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(x))
        t = time.perf_counter()
        for b in range(BATCHES):
            idx = perm[b * BATCH:(b + 1) * BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss.detach().item()  # sync, like burn reading the loss each batch
        rates.append(BATCH * BATCHES / (time.perf_counter() - t))
    print(json.dumps({"impl": "pytorch", "what": "train_step", "input": f"1x{mels}x{frames}", "batch": BATCH,
                      "threads": threads, "windows_per_sec": round(statistics.median(rates[1:]), 1)}))
    model.eval()
    with torch.no_grad():
        for batch in (64, 1):
            xb = x[:batch]
            torch.softmax(model(xb), 1)
            times = []
            for _ in range(REPEATS):
                t = time.perf_counter()
                torch.softmax(model(xb), 1)
                times.append(time.perf_counter() - t)
            t = statistics.median(times)
            print(json.dumps({"impl": "pytorch", "what": "inference", "input": f"1x{mels}x{frames}", "batch": batch,
                              "threads": threads, "windows_per_sec": round(batch / t, 1),
                              "ms_per_window": round(1e3 * t / batch, 3)}))


if __name__ == "__main__":
    main()
