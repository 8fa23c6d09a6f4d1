"""Check and run a hark ONNX export with the reference tools (crates/export/tests/onnx.rs).

usage: run_onnxruntime.py MODEL.onnx WINDOWS.f32 N MELS FRAMES
Prints one JSON object: {"skip": reason} when onnx or onnxruntime is missing, else the
checker's verdict, the metadata, and the logits and probabilities of the N windows
(raw little-endian float32, [N, 1, MELS, FRAMES]) run as one batch and one by one.
"""
import json
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as e:  # the Rust test prints SKIP
    print(json.dumps({"skip": f"{e.name} not installed (pip install onnx onnxruntime)"}))
    sys.exit(0)

path, windows, n, mels, frames = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
model = onnx.load(path)
onnx.checker.check_model(model, full_check=True)  # raises on any violation
x = np.fromfile(windows, dtype="<f4").reshape(n, 1, mels, frames)
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
logits, probs = session.run(["logits", "probabilities"], {"window": x})
# Dynamic batch: the same windows one at a time.
single = np.concatenate([session.run(["logits"], {"window": x[i : i + 1]})[0] for i in range(n)])
print(
    json.dumps(
        {
            "checked": True,
            "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
            "metadata": {p.key: p.value for p in model.metadata_props},
            "inputs": [i.name for i in session.get_inputs()],
            "batch_dim": session.get_inputs()[0].shape[0],
            "logits": logits.tolist(),
            "probabilities": probs.tolist(),
            "single_logits": single.tolist(),
        }
    )
)
