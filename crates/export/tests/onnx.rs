//! ONNX export (export stage) run by real runtimes: tract here in Rust, and onnx's checker
//! plus onnxruntime through `tests/onnx/run_onnxruntime.py` (skipped, with a message, when
//! Python lacks them; `HARK_PYTHON` names another interpreter than `python3`). Both must
//! give hark's own logits on real log-mel windows (ESC-10 clips from `../shared/data`, or
//! generated audio where it is absent), for every architecture and for a BatchNorm that
//! cannot be folded.

use std::path::{Path, PathBuf};
use std::process::Command;

use hark_export::onnx::proto::ModelProto;
use hark_export::onnx::{
    INPUT, LOGITS, META_DECISION, META_FEATURES, META_LABELS, META_MODEL, META_VERSION,
    PROBABILITIES, onnx_model_for, to_onnx,
};
use hark_features::{FeatureConfig, WindowExtractor};
use hark_infer::{DecisionConfig, ModelFile, ModelWeights, NamedTensor, PlanEngine};
use hark_model::{
    ClassicalConfig, ClassicalInput, Layer, LayerPlan, ModelConfig, Op, ParamOwner, SbCnnConfig,
    StrideDsConfig,
};
use prost::Message;
use serde_json::Value;
use tract_onnx::prelude::*;

mod common;

/// Largest logit difference allowed between a runtime and hark, relative to
/// `max(1, |logit|)`: float32 sums in a different order.
const LOGIT_TOL: f32 = 1e-5;
/// Largest probability difference allowed.
const PROB_TOL: f32 = 1e-6;
/// Windows run per model.
const N_WINDOWS: usize = 24;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/onnx/run_onnxruntime.py");

fn esc10() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/esc10/audio")
}

/// Mono audio at `sr`: three ESC-10 clips of different classes, or (without the data) a
/// chirp, a noise burst and a tone pattern generated here.
fn clips(sr: u32) -> Vec<Vec<f32>> {
    let dir = esc10();
    let names = [
        "dog_bark/1-100032-A.ogg",
        "rooster/1-26806-A.ogg",
        "chainsaw/1-116765-A.ogg",
    ];
    let real: Vec<Vec<f32>> = names
        .iter()
        .filter_map(|n| hark_audio::load_mono(&dir.join(n), Some(sr)).ok())
        .map(|a| a.samples)
        .collect();
    if real.len() == names.len() {
        return real;
    }
    eprintln!(
        "SKIP real audio: ESC-10 clips not found under {}; using generated audio",
        dir.display()
    );
    let n = sr as usize * 3;
    let t = |i: usize| i as f32 / sr as f32;
    let mut state = 0x2545_f491_u32;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as f32 / u32::MAX as f32 - 0.5
    };
    vec![
        (0..n)
            .map(|i| 0.3 * (std::f32::consts::TAU * (200.0 + 900.0 * t(i)) * t(i)).sin())
            .collect(),
        (0..n).map(|_| 0.2 * noise()).collect(),
        (0..n)
            .map(|i| {
                let on = (t(i) * 3.0).fract() < 0.5;
                if on {
                    0.4 * (std::f32::consts::TAU * 1250.0 * t(i)).sin()
                } else {
                    0.0
                }
            })
            .collect(),
    ]
}

/// Up to `N_WINDOWS` non-silent normalised windows, flat `[n, mels * frames]`.
fn windows(cfg: &FeatureConfig) -> (Vec<f32>, usize) {
    let mut ex = WindowExtractor::new(cfg).expect("extractor");
    let mut out = Vec::new();
    let mut n = 0;
    for clip in clips(cfg.sr) {
        for w in ex.windows(&clip).into_iter().filter(|w| !w.silent).take(8) {
            out.extend_from_slice(&w.values);
            n += 1;
        }
    }
    assert!(n >= 3, "too few windows ({n})");
    (out, n.min(N_WINDOWS))
}

/// A model at `mels x frames` with default features.
fn model(cfg: ModelConfig, mels: usize, frames: usize, classes: usize) -> ModelFile {
    common::model(cfg, common::features(mels, frames), classes)
}

fn cases() -> Vec<(&'static str, ModelFile)> {
    vec![
        (
            "SB-CNN 60x41",
            model(ModelConfig::SbCnn(SbCnnConfig::default()), 60, 41, 10),
        ),
        (
            "SB-CNN 3x2 pool 40x32",
            model(
                ModelConfig::SbCnn(SbCnnConfig {
                    pool: [3, 2],
                    ..Default::default()
                }),
                40,
                32,
                5,
            ),
        ),
        (
            "Stride-DS 60x41",
            model(ModelConfig::StrideDs(StrideDsConfig::default()), 60, 41, 10),
        ),
        (
            // No hidden dense layer: the last block feeds the classifier directly.
            "Stride-DS without dense layer 30x20",
            model(
                ModelConfig::StrideDs(StrideDsConfig {
                    dense: 0,
                    ..Default::default()
                }),
                30,
                20,
                3,
            ),
        ),
        (
            // Band statistics (average pools, Sqrt, Concat), standardisation, the head.
            "log-mel statistics + logistic regression 40x32",
            model(
                ModelConfig::Classical(ClassicalConfig::default()),
                40,
                32,
                10,
            ),
        ),
        (
            // The embedding is a flattened multi-pixel map: standardisation has one value
            // per activation value and must be applied after a Flatten.
            "logistic regression on a Stride-DS embedding without dense layer 30x20",
            model(
                ModelConfig::Classical(ClassicalConfig {
                    input: ClassicalInput::Embedding {
                        base: Box::new(ModelConfig::StrideDs(StrideDsConfig {
                            dense: 0,
                            ..Default::default()
                        })),
                        base_classes: 3,
                    },
                    ..Default::default()
                }),
                30,
                20,
                4,
            ),
        ),
    ]
}

/// hark's logits and probabilities for each window.
fn hark_outputs(file: &ModelFile, x: &[f32], n: usize) -> (Vec<f32>, Vec<f32>) {
    let engine = PlanEngine::new(&file.meta.plan().expect("plan"), &file.weights).expect("engine");
    let k = file.meta.class_names.len();
    let mut ws = engine.workspace();
    let (mut logits, mut probs) = (vec![0.0; n * k], vec![0.0; n * k]);
    for (i, w) in x.chunks_exact(engine.input_len()).take(n).enumerate() {
        engine.logits_into(w, &mut ws, &mut logits[i * k..][..k]);
        engine.predict_into(w, &mut ws, &mut probs[i * k..][..k]);
    }
    (logits, probs)
}

#[track_caller]
fn assert_close(what: &str, actual: &[f32], expected: &[f32], k: usize, rel: f32) {
    assert_eq!(actual.len(), expected.len(), "{what}: output length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= rel * e.abs().max(1.0),
            "{what}: window {}, class {}: {a} vs hark {e}",
            i / k,
            i % k
        );
    }
    let argmax = |v: &[f32]| {
        v.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
    };
    for (a, e) in actual.chunks(k).zip(expected.chunks(k)) {
        assert_eq!(argmax(a), argmax(e), "{what}: a window's class differs");
    }
}

#[test]
fn tract_gives_hark_logits_on_real_windows_at_any_batch_size() -> TractResult<()> {
    for (what, file) in cases() {
        let bytes = to_onnx(&file).expect("export");
        let [_, mels, frames] = file.meta.input_shape;
        let k = file.meta.class_names.len();
        let (x, n) = windows(&file.meta.features);
        let (logits, probs) = hark_outputs(&file, &x, n);
        for batch in [n, 1] {
            let plan = tract_onnx::onnx()
                .model_for_read(&mut &bytes[..])?
                .with_input_fact(0, f32::fact([batch, 1, mels, frames]).into())?
                .into_optimized()?
                .into_runnable()?;
            let mut got_logits = Vec::new();
            let mut got_probs = Vec::new();
            for chunk in x[..n * mels * frames].chunks(batch * mels * frames) {
                let input = Tensor::from_shape(&[batch, 1, mels, frames], chunk)?;
                let out = plan.run(tvec!(input.into()))?;
                got_logits.extend(out[0].to_plain_array_view::<f32>()?.iter().copied());
                got_probs.extend(out[1].to_plain_array_view::<f32>()?.iter().copied());
            }
            let what = format!("{what}, tract, batch {batch}");
            assert_close(&what, &got_logits, &logits, k, LOGIT_TOL);
            assert_close(&what, &got_probs, &probs, k, PROB_TOL);
        }
    }
    Ok(())
}

/// Run `proto` under tract on `x` (`n` windows of `mels x frames`): logits, flat.
fn tract_logits(proto: &ModelProto, x: &[f32], n: usize, mels: usize, frames: usize) -> Vec<f32> {
    let bytes = proto.encode_to_vec();
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .and_then(|m| m.with_input_fact(0, f32::fact([n, 1, mels, frames]).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .expect("tract loads the file");
    let input = Tensor::from_shape(&[n, 1, mels, frames], &x[..n * mels * frames]).expect("input");
    let out = plan.run(tvec!(input.into())).expect("tract runs");
    out[0]
        .to_plain_array_view::<f32>()
        .expect("f32 logits")
        .iter()
        .copied()
        .collect()
}

/// hark's architectures fold every BatchNorm; a hand-built plan with a BatchNorm after a
/// ReLU (which cannot be folded) is exported as `Mul` + `Add` and must still agree.
#[test]
fn an_unfoldable_batch_norm_is_exported_as_a_per_channel_affine() {
    let (mels, frames, ch, classes) = (12, 10, 3, 4);
    let conv = Op::Conv2d {
        in_channels: 1,
        out_channels: ch,
        kernel: [3, 3],
        stride: [1, 1],
        groups: 1,
        padding: [1, 1, 1, 1],
        bias: true,
    };
    let layer = |name: &str, op: Op, output: [usize; 3], owner| Layer {
        name: name.into(),
        op,
        output,
        owner,
    };
    let plan = LayerPlan {
        input: [1, mels, frames],
        layers: vec![
            layer("conv", conv, [ch, mels, frames], Some(ParamOwner::Conv(0))),
            layer("relu", Op::Relu, [ch, mels, frames], None),
            layer(
                "norm",
                Op::BatchNorm {
                    channels: ch,
                    epsilon: 1e-3,
                },
                [ch, mels, frames],
                Some(ParamOwner::Norm(0)),
            ),
            layer("pool", Op::MaxPool2d { kernel: [2, 2] }, [ch, 6, 5], None),
            layer("flatten", Op::Flatten, [ch * 30, 1, 1], None),
            layer(
                "dense",
                Op::Linear {
                    in_features: ch * 30,
                    out_features: classes,
                },
                [classes, 1, 1],
                Some(ParamOwner::Linear(0)),
            ),
        ],
    };
    let mut z = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        z ^= z << 13;
        z ^= z >> 7;
        z ^= z << 17;
        (z >> 40) as f32 / (1u64 << 24) as f32
    };
    let tensors = plan
        .params()
        .into_iter()
        .map(|p| NamedTensor {
            data: (0..p.shape.iter().product::<usize>())
                .map(|_| {
                    next()
                        + if p.name.ends_with("running_var") {
                            0.5
                        } else {
                            -0.5
                        }
                })
                .collect(),
            name: p.name,
            shape: p.shape,
        })
        .collect();
    let weights = ModelWeights { tensors };
    let engine = PlanEngine::new(&plan, &weights).expect("engine");
    // The architecture named in the metadata is not this plan's; only the metadata reads it.
    let meta = common::meta(
        ModelConfig::default(),
        common::features(mels, frames),
        classes,
    );
    let proto = onnx_model_for(&engine, &meta).expect("export");
    let ops: Vec<&str> = proto
        .graph
        .as_ref()
        .expect("graph")
        .node
        .iter()
        .map(|n| n.op_type.as_str())
        .collect();
    assert_eq!(
        ops,
        [
            "Conv", "Relu", "Mul", "Add", "MaxPool", "Flatten", "Gemm", "Softmax"
        ]
    );

    let n = 5;
    let x: Vec<f32> = (0..n * mels * frames).map(|_| 4.0 * next() - 2.0).collect();
    let mut ws = engine.workspace();
    let mut expected = vec![0.0; n * classes];
    for (w, out) in x
        .chunks_exact(mels * frames)
        .zip(expected.chunks_exact_mut(classes))
    {
        engine.logits_into(w, &mut ws, out);
    }
    let got = tract_logits(&proto, &x, n, mels, frames);
    assert_close(
        "hand-built plan, tract",
        &got,
        &expected,
        classes,
        LOGIT_TOL,
    );
}

#[test]
fn the_file_names_its_inputs_outputs_and_carries_labels_and_features() -> TractResult<()> {
    let (_, file) = cases().swap_remove(2);
    let bytes = to_onnx(&file).expect("export");
    let proto = tract_onnx::onnx().proto_model_for_read(&mut &bytes[..])?;
    let meta: std::collections::HashMap<String, String> = proto
        .metadata_props
        .iter()
        .map(|p| (p.key.clone(), p.value.clone()))
        .collect();
    let json = |key: &str| -> Value {
        serde_json::from_str(meta.get(key).unwrap_or_else(|| panic!("no {key}")))
            .unwrap_or_else(|e| panic!("{key} is not JSON: {e}"))
    };
    let labels: Vec<String> = serde_json::from_value(json(META_LABELS)).expect("labels");
    assert_eq!(labels, file.meta.class_names);
    let features: FeatureConfig = serde_json::from_value(json(META_FEATURES)).expect("features");
    assert_eq!(features, file.meta.features);
    let decision: DecisionConfig = serde_json::from_value(json(META_DECISION)).expect("decision");
    assert_eq!(decision, file.meta.decision);
    let model: ModelConfig = serde_json::from_value(json(META_MODEL)).expect("model");
    assert_eq!(model, file.meta.model);
    assert_eq!(json(META_VERSION), Value::from(env!("CARGO_PKG_VERSION")));

    let graph = proto.graph.as_ref().expect("graph");
    let names = |v: &[tract_onnx::pb::ValueInfoProto]| -> Vec<String> {
        v.iter().map(|i| i.name.clone()).collect()
    };
    assert_eq!(names(&graph.input), [INPUT]);
    assert_eq!(names(&graph.output), [LOGITS, PROBABILITIES]);
    // BatchNorm is folded: no BatchNormalization node, one Conv per convolution.
    let ops: Vec<&str> = graph.node.iter().map(|n| n.op_type.as_str()).collect();
    assert!(!ops.contains(&"BatchNormalization"), "{ops:?}");
    let convs = file
        .meta
        .plan()
        .expect("plan")
        .layers
        .iter()
        .filter(|l| matches!(l.op, hark_model::Op::Conv2d { .. }))
        .count();
    assert_eq!(ops.iter().filter(|o| **o == "Conv").count(), convs);
    assert_eq!(ops.last(), Some(&"Softmax"));
    Ok(())
}

fn python() -> String {
    std::env::var("HARK_PYTHON").unwrap_or_else(|_| "python3".into())
}

#[test]
fn onnx_checker_and_onnxruntime_accept_the_file_and_give_hark_logits() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (what, file) in cases() {
        let bytes = to_onnx(&file).expect("export");
        let [_, mels, frames] = file.meta.input_shape;
        let k = file.meta.class_names.len();
        let (x, n) = windows(&file.meta.features);
        let (logits, probs) = hark_outputs(&file, &x, n);
        let model_path = dir.path().join("model.onnx");
        let x_path = dir.path().join("windows.f32");
        std::fs::write(&model_path, &bytes).expect("write model");
        let raw: Vec<u8> = x[..n * mels * frames]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        std::fs::write(&x_path, raw).expect("write windows");
        let out = match Command::new(python())
            .arg(SCRIPT)
            .args([&model_path, &x_path])
            .args([n, mels, frames].map(|v| v.to_string()))
            .output()
        {
            Ok(o) => o,
            Err(e) => {
                println!("SKIP: cannot run {} ({e})", python());
                return;
            }
        };
        assert!(
            out.status.success(),
            "{what}: onnx checker or onnxruntime failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("script output is JSON");
        if let Some(reason) = v.get("skip") {
            println!("SKIP: {reason}");
            return;
        }
        assert_eq!(v["checked"], Value::Bool(true));
        assert_eq!(v["opset"], serde_json::json!([18]));
        assert_eq!(
            v["batch_dim"],
            Value::from("batch"),
            "{what}: batch is dynamic"
        );
        let labels: Vec<String> =
            serde_json::from_str(v["metadata"][META_LABELS].as_str().expect("labels"))
                .expect("labels JSON");
        assert_eq!(labels, file.meta.class_names);
        let flat = |key: &str| -> Vec<f32> {
            v[key]
                .as_array()
                .expect("rows")
                .iter()
                .flat_map(|r| r.as_array().expect("row").clone())
                .map(|x| x.as_f64().expect("number") as f32)
                .collect()
        };
        let what = format!("{what}, onnxruntime");
        assert_close(&what, &flat("logits"), &logits, k, LOGIT_TOL);
        assert_close(&what, &flat("single_logits"), &logits, k, LOGIT_TOL);
        assert_close(&what, &flat("probabilities"), &probs, k, PROB_TOL);
    }
}

#[test]
fn a_model_whose_weights_do_not_match_its_plan_is_refused() {
    let (_, mut file) = cases().swap_remove(3);
    let t = file
        .weights
        .tensors
        .iter_mut()
        .find(|t| t.name.ends_with("weight"))
        .expect("a weight");
    t.shape.push(1);
    let name = t.name.clone();
    let err = to_onnx(&file).expect_err("mis-shaped weight");
    let chain = format!("{err}: {}", std::error::Error::source(&err).expect("cause"));
    assert!(chain.contains(&name), "{chain}");
}
