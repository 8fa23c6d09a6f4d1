"""hark's plan engine vs onnxruntime on a trained model's real windows (issue 10).

usage: onnx_agreement.py MODEL.onnx DUMP_DIR
DUMP_DIR is what `cargo run --release -p hark-export --example onnx_agreement` wrote.
Prints the largest logit difference, window argmax agreement, and clip decisions (mean of
window probabilities, as `hark predict` aggregates by default) of both, with accuracy.
"""
import json
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

model_path, dump = sys.argv[1], sys.argv[2]
info = json.load(open(f"{dump}/windows.json"))
k, mels, frames = len(info["classes"]), info["mels"], info["frames"]
x = np.fromfile(f"{dump}/windows.f32", dtype="<f4").reshape(-1, 1, mels, frames)
hark_logits = np.fromfile(f"{dump}/logits.f32", dtype="<f4").reshape(-1, k)
onnx.checker.check_model(onnx.load(model_path), full_check=True)
opts = ort.SessionOptions()
opts.intra_op_num_threads = 2
sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
t = time.perf_counter()
ort_logits, ort_probs = sess.run(["logits", "probabilities"], {"window": x})
elapsed = time.perf_counter() - t
diff = np.abs(ort_logits - hark_logits)
rel = diff / np.maximum(1.0, np.abs(hark_logits))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


clip_of = np.array(info["clip_of_window"])
labels = info["clip_labels"]
clips = sorted(set(clip_of.tolist()))
hark_probs = softmax(hark_logits.astype(np.float64))
dec_h = [int(hark_probs[clip_of == c].mean(axis=0).argmax()) for c in clips]
dec_o = [int(ort_probs[clip_of == c].mean(axis=0).argmax()) for c in clips]
truth = [info["classes"].index(labels[c]) if labels[c] in info["classes"] else -1 for c in clips]
acc = lambda d: np.mean([a == b for a, b in zip(d, truth)])
print(
    json.dumps(
        {
            "windows": int(len(x)),
            "clips": len(clips),
            "max_abs_logit_diff": float(diff.max()),
            "max_rel_logit_diff": float(rel.max()),
            "window_argmax_agreement": float(np.mean(ort_logits.argmax(1) == hark_logits.argmax(1))),
            "clip_decision_agreement": float(np.mean(np.array(dec_h) == np.array(dec_o))),
            "clip_accuracy_hark": float(acc(dec_h)),
            "clip_accuracy_onnxruntime": float(acc(dec_o)),
            "onnxruntime_seconds": round(elapsed, 3),
        }
    )
)
