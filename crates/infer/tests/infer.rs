//! Integration tests of the inference core: the layer plan against a naive reference
//! forward pass, embeddings, the model file (round trip, strict reading, version-1
//! migration) and prediction.

use std::collections::HashMap;
use std::path::Path;

use hark_infer::*;
use hark_model::burn::tensor::Device;
use hark_model::{
    ClassicalConfig, ClassicalInput, Classifier, LayerPlan, ModelConfig, Op, SbCnnConfig,
    StrideDsConfig,
};

/// Float tolerance between burn's forward pass and the naive f64 reference (f32 sums of
/// up to ~1500 products of values near 1).
const FORWARD_TOL: f32 = 1e-4;

/// A deterministic pseudo-random value in [-1, 1).
fn noise(i: usize, salt: u64) -> f32 {
    let mut z = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

fn configs() -> Vec<ModelConfig> {
    vec![
        ModelConfig::SbCnn(SbCnnConfig {
            filters: [4, 6, 5],
            kernel: [3, 5],
            pool: [2, 2],
            dense: 7,
            dropout: 0.5,
        }),
        ModelConfig::StrideDs(StrideDsConfig {
            filters: 4,
            strides: vec![[2, 2], [1, 2]],
            dense: 6,
            ..Default::default()
        }),
        ModelConfig::StrideDs(StrideDsConfig {
            filters: 3,
            strides: vec![[2, 1]],
            dense: 0,
            ..Default::default()
        }),
    ]
}

/// A model file with random (but BatchNorm-valid) weights for `cfg` on a `mels x frames` input.
fn random_file(cfg: &ModelConfig, mels: usize, frames: usize, n_classes: usize) -> ModelFile {
    let plan = cfg.plan(mels, frames, n_classes).expect("plan");
    let mut tensors = Vec::new();
    for (k, p) in plan.params().into_iter().enumerate() {
        let n: usize = p.shape.iter().product();
        let data = (0..n)
            .map(|i| {
                let v = noise(i, k as u64 + 1);
                if p.name.ends_with("running_var") || p.name.ends_with("gamma") {
                    1.0 + 0.5 * v.abs()
                } else {
                    0.5 * v
                }
            })
            .collect();
        tensors.push(NamedTensor {
            name: p.name,
            shape: p.shape,
            data,
        });
    }
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    let features = hark_features::FeatureConfig {
        n_mels: mels,
        window_frames: frames,
        ..Default::default()
    };
    ModelFile {
        meta: ModelMeta {
            model: cfg.clone(),
            features,
            class_names: (0..n_classes).map(|c| format!("class{c}")).collect(),
            decision: DecisionConfig::default(),
            input_shape: [1, mels, frames],
            held_out: HeldOut::default(),
            training: TrainingSummary::default(),
            input_profile: None,
        },
        weights: ModelWeights { tensors },
    }
}

/// The plan run by hand in f64, reading weights by the plan's parameter names and the
/// layouts its docs state. Returns every layer's output (flattened per window).
fn reference(plan: &LayerPlan, w: &HashMap<String, Vec<f32>>, x: &[f32]) -> Vec<Vec<f64>> {
    let [_, h0, w0] = plan.input;
    let (mut c, mut h, mut wd) = (1usize, h0, w0);
    let mut a: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut outs = Vec::new();
    for layer in &plan.layers {
        let p = |n: &str| -> Vec<f64> {
            let name = format!("{}.{n}", layer.owner.expect("owner").prefix());
            w[&name].iter().map(|&v| f64::from(v)).collect()
        };
        a = match layer.op {
            Op::Conv2d {
                in_channels,
                out_channels,
                kernel: [kh, kw],
                stride: [sh, sw],
                groups,
                padding: [pt, pl, _, _],
                bias,
            } => {
                let [_, oh, ow] = layer.output;
                let weight = p("weight");
                let b = if bias {
                    p("bias")
                } else {
                    vec![0.0; out_channels]
                };
                let cin_g = in_channels / groups;
                let cout_g = out_channels / groups;
                let mut out = vec![0.0; out_channels * oh * ow];
                for o in 0..out_channels {
                    let g = o / cout_g;
                    for y in 0..oh {
                        for xx in 0..ow {
                            let mut s = b[o];
                            for ci in 0..cin_g {
                                let ic = g * cin_g + ci;
                                for ky in 0..kh {
                                    for kx in 0..kw {
                                        let iy = (y * sh + ky) as isize - pt as isize;
                                        let ix = (xx * sw + kx) as isize - pl as isize;
                                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize
                                        {
                                            continue;
                                        }
                                        let wv = weight[((o * cin_g + ci) * kh + ky) * kw + kx];
                                        s += wv * a[(ic * h + iy as usize) * wd + ix as usize];
                                    }
                                }
                            }
                            out[(o * oh + y) * ow + xx] = s;
                        }
                    }
                }
                out
            }
            Op::BatchNorm { epsilon, .. } => {
                let (g, b, m, v) = (p("gamma"), p("beta"), p("running_mean"), p("running_var"));
                let n = h * wd;
                a.iter()
                    .enumerate()
                    .map(|(i, &x)| {
                        let ch = i / n;
                        g[ch] * (x - m[ch]) / (v[ch] + epsilon).sqrt() + b[ch]
                    })
                    .collect()
            }
            Op::MaxPool2d { kernel: [kh, kw] } => {
                let [_, oh, ow] = layer.output;
                let mut out = vec![f64::NEG_INFINITY; c * oh * ow];
                for ch in 0..c {
                    for y in 0..oh {
                        for xx in 0..ow {
                            for ky in 0..kh {
                                for kx in 0..kw {
                                    let v = a[(ch * h + y * kh + ky) * wd + xx * kw + kx];
                                    let o = &mut out[(ch * oh + y) * ow + xx];
                                    *o = o.max(v);
                                }
                            }
                        }
                    }
                }
                out
            }
            Op::Relu => a.iter().map(|&v| v.max(0.0)).collect(),
            Op::Flatten | Op::Dropout { .. } => a,
            Op::Linear {
                in_features,
                out_features,
            } => {
                let (weight, b) = (p("weight"), p("bias"));
                (0..out_features)
                    .map(|o| {
                        b[o] + (0..in_features)
                            .map(|i| a[i] * weight[i * out_features + o])
                            .sum::<f64>()
                    })
                    .collect()
            }
            ref other => panic!("no reference for {other:?}"),
        };
        [c, h, wd] = layer.output;
        outs.push(a.clone());
    }
    outs
}

#[test]
fn burn_forward_and_embed_equal_the_naive_reference_of_the_plan() {
    let (mels, frames, n_classes) = (12, 10, 3);
    for cfg in configs() {
        let file = random_file(&cfg, mels, frames, n_classes);
        let predictor = Predictor::new(&file).expect("weights fit the plan");
        let plan = predictor.plan().clone();
        let w: HashMap<String, Vec<f32>> = file
            .weights
            .tensors
            .iter()
            .map(|t| (t.name.clone(), t.data.clone()))
            .collect();
        let n = 3;
        let x: Vec<f32> = (0..n * mels * frames).map(|i| noise(i, 99)).collect();
        let probs = predictor.predict(&x, n).expect("predict");
        let emb = predictor.embed(&x, n).expect("embed");
        let d = predictor.embedding_dim();
        assert_eq!(emb.len(), n * d);
        for k in 0..n {
            let outs = reference(&plan, &w, &x[k * mels * frames..(k + 1) * mels * frames]);
            let logits = outs.last().expect("output");
            let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = logits.iter().map(|l| (l - m).exp()).sum();
            for c in 0..n_classes {
                let p = ((logits[c] - m).exp() / z) as f32;
                let got = probs[k * n_classes + c];
                assert!((p - got).abs() <= FORWARD_TOL, "{cfg:?}: prob {got} vs {p}");
            }
            let e = &outs[plan.embedding_layer()];
            assert_eq!(e.len(), d);
            for (j, &v) in e.iter().enumerate() {
                let got = emb[k * d + j];
                assert!(
                    (v as f32 - got).abs() <= FORWARD_TOL,
                    "{cfg:?}: embedding {got} vs {v}"
                );
            }
        }
    }
}

#[test]
fn plan_parameter_names_are_the_module_tensor_names() {
    for cfg in configs() {
        let plan = cfg.plan(12, 10, 4).expect("plan");
        let net = Classifier::from_plan(plan.clone(), &Device::flex());
        let module = ModelWeights::from_module(&net);
        let mut from_module: Vec<(String, Vec<usize>)> = module
            .tensors
            .iter()
            .map(|t| (t.name.clone(), t.shape.clone()))
            .collect();
        let mut from_plan: Vec<(String, Vec<usize>)> = plan
            .params()
            .into_iter()
            .map(|p| (p.name, p.shape))
            .collect();
        from_module.sort();
        from_plan.sort();
        assert_eq!(from_module, from_plan, "{cfg:?}");
    }
}

#[test]
fn model_file_round_trips_and_reads_strictly() {
    let cfg = &configs()[0];
    let file = random_file(cfg, 12, 10, 3);
    let bytes = file.to_bytes().expect("serialise");
    let back = ModelFile::from_bytes(&bytes, Path::new("m.hark")).expect("parse");
    assert_eq!(back, file);

    // Remove one feature setting from the metadata: reading must name it, not default it.
    let edited = edit_meta(&bytes, "3", |meta| {
        meta["features"]
            .as_object_mut()
            .expect("features object")
            .remove("hop_length");
    });
    let e = ModelFile::from_bytes(&edited, Path::new("m.hark"))
        .expect_err("missing field")
        .to_string();
    assert!(e.contains("features.hop_length"), "{e}");

    // A threshold outside [0, 1] is refused where it enters.
    let edited = edit_meta(&bytes, "3", |meta| {
        meta["decision"]["threshold"] = 1.5.into()
    });
    let e = ModelFile::from_bytes(&edited, Path::new("m.hark")).expect_err("bad threshold");
    assert!(e.to_string().contains("threshold"), "{e}");

    // Format 2 had no input profile: such files load, with nothing to check inputs against.
    let mut with_profile = file.clone();
    with_profile.meta.input_profile = Some(hark_infer::InputProfile {
        clips: 3,
        sample_rates: vec![8_000, 44_100],
        duration_s: hark_infer::Spread::of([1.0, 2.0, 3.0]),
        level_dbfs: None,
    });
    let bytes3 = with_profile.to_bytes().expect("serialise");
    assert_eq!(
        ModelFile::from_bytes(&bytes3, Path::new("m.hark")).expect("format 3"),
        with_profile
    );
    let v2 = edit_meta(&bytes3, "2", |meta| {
        meta.as_object_mut()
            .expect("meta object")
            .remove("input_profile");
    });
    let old = ModelFile::from_bytes(&v2, Path::new("m.hark")).expect("format 2 loads");
    assert_eq!(old.meta.input_profile, None);

    // The error does not repeat the path: callers print it once.
    let e = ModelFile::from_bytes(b"not a model", Path::new("m.hark")).expect_err("garbage");
    assert!(!e.to_string().contains("m.hark"), "{e}");
    assert_eq!(e.path(), Some(Path::new("m.hark")));
}

#[test]
fn version_1_files_are_migrated_to_the_plan_names() {
    let cfg = &configs()[0];
    let file = random_file(cfg, 12, 10, 3);
    let bytes = file.to_bytes().expect("serialise");
    // Rewrite as version 1: old tensor names, no held_out / tuned_for / silent_clips.
    let v1_name = |n: &str| -> String {
        let (module, param) = n.rsplit_once('.').expect("param");
        let old = match module {
            "convs.0" | "convs.1" | "convs.2" => format!("SbCnn.blocks.{}.conv", &module[6..]),
            "norms.0" | "norms.1" | "norms.2" => format!("SbCnn.blocks.{}.bn", &module[6..]),
            "linears.0" => "SbCnn.fc1".into(),
            "linears.1" => "SbCnn.fc2".into(),
            other => panic!("{other}"),
        };
        format!("{old}.{param}")
    };
    let v1 = rebuild(
        &bytes,
        "1",
        |meta| {
            meta.as_object_mut().expect("object").remove("held_out");
            meta["features"]
                .as_object_mut()
                .expect("features")
                .remove("silence_relative_db");
            meta["decision"]
                .as_object_mut()
                .expect("decision")
                .remove("tuned_for");
            meta["training"]
                .as_object_mut()
                .expect("training")
                .remove("silent_clips");
        },
        &v1_name,
    );
    let back = ModelFile::from_bytes(&v1, Path::new("old.hark")).expect("migrated");
    assert_eq!(back.weights, file.weights);
    assert_eq!(back.meta.decision.tuned_for, None);
    assert!(!back.meta.held_out.is_known());
    let p1 = Predictor::new(&back).expect("runs");
    let p2 = Predictor::new(&file).expect("runs");
    let x: Vec<f32> = (0..120).map(|i| noise(i, 5)).collect();
    assert_eq!(
        p1.predict(&x, 1).expect("p1"),
        p2.predict(&x, 1).expect("p2")
    );
}

#[test]
fn a_file_from_a_newer_hark_is_refused_with_advice() {
    let file = random_file(&configs()[1], 12, 10, 2);
    let bytes = edit_meta(&file.to_bytes().expect("bytes"), "99", |_| {});
    let e = ModelFile::from_bytes(&bytes, Path::new("m.hark")).expect_err("newer");
    assert!(e.to_string().contains("upgrade hark"), "{e}");
}

fn edit_meta(bytes: &[u8], version: &str, f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    rebuild(bytes, version, f, &|n: &str| n.to_string())
}

/// Re-serialise a model file with edited metadata, format version and tensor names.
fn rebuild(
    bytes: &[u8],
    version: &str,
    f: impl FnOnce(&mut serde_json::Value),
    rename: &dyn Fn(&str) -> String,
) -> Vec<u8> {
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).expect("header");
    let mut info = header.metadata().clone().expect("metadata");
    let mut meta: serde_json::Value = serde_json::from_str(&info["hark"]).expect("json");
    f(&mut meta);
    info.insert("hark".into(), meta.to_string());
    info.insert("format_version".into(), version.into());
    let st = safetensors::SafeTensors::deserialize(bytes).expect("tensors");
    let views: Vec<(String, safetensors::tensor::TensorView)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (rename(&n), v))
        .collect();
    safetensors::serialize(views, Some(info)).expect("serialise")
}

/// A `Scanner` fed a recording in uneven chunks gives what whole-clip prediction gives:
/// the same windows and probabilities, the same clip decision and the same events.
#[test]
fn a_scanner_on_chunks_equals_whole_clip_prediction() {
    let file = random_file(&configs()[0], 12, 10, 3);
    let predictor = Predictor::new(&file).expect("predictor");
    let features = file.meta.features.clone();
    let sr = features.sr as usize;
    // 6 s: a tone whose loudness moves, with 1.5 s of digital silence in the middle.
    let signal: Vec<f32> = (0..6 * sr)
        .map(|i| {
            let t = i as f32 / sr as f32;
            if (2.0..3.5).contains(&t) {
                0.0
            } else {
                (0.2 + 0.15 * (t * 1.3).sin()) * (t * 440.0 * std::f32::consts::TAU).sin()
                    + 0.05 * noise(i, 7)
            }
        })
        .collect();
    let decision = DecisionConfig {
        threshold: Some(0.4),
        ..DecisionConfig::default()
    };
    let events = EventConfig {
        onset: 0.4,
        offset: 0.3,
        smooth_windows: 2,
        smoothing: Smoothing::Mean,
        min_duration_s: 0.0,
        max_gap_windows: 1,
    };

    // Whole clip.
    let windows = hark_features::WindowExtractor::new(&features)
        .expect("extractor")
        .windows(&signal);
    let n = 3;
    let mut rows = Vec::new();
    let mut spans = Vec::new();
    let mut scored = Vec::new();
    for w in &windows {
        spans.push(features.window_span(w.start_frame));
        if w.silent {
            rows.extend([0.0; 3]);
        } else {
            let p = predictor.predict(&w.values, 1).expect("predict");
            rows.extend_from_slice(&p);
            scored.extend_from_slice(&p);
        }
    }
    assert!(windows.iter().any(|w| w.silent) && windows.iter().any(|w| !w.silent));
    let want_events = detect_events(&rows, &spans, n, &events).expect("events");
    let want_clip = aggregate(&scored, n, Aggregation::Mean);

    for (chunk, batch) in [(1000, 4), (sr / 3 + 7, SCAN_BATCH), (signal.len(), 1)] {
        let cfg = ScanConfig {
            decision,
            events,
            batch,
        };
        let mut scanner = Scanner::new(&predictor, &features, cfg).expect("scanner");
        let mut out = ScanOutput::default();
        for c in signal.chunks(chunk) {
            scanner.push(c, &mut out).expect("push");
        }
        let summary = scanner.finish(&mut out).expect("finish");
        assert_eq!(out.windows.len(), windows.len(), "chunk {chunk}");
        for (i, (w, info)) in windows.iter().zip(&out.windows).enumerate() {
            assert_eq!((info.start_s, info.end_s), spans[i]);
            assert_eq!(info.decision.silent, w.silent);
            for (a, b) in out.row(i, n).iter().zip(&rows[i * n..(i + 1) * n]) {
                assert!((a - b).abs() <= SCAN_TOL, "window {i}: {a} vs {b}");
            }
        }
        let mut got = out.events.clone();
        got.sort_by(|x, y| x.start_s.total_cmp(&y.start_s).then(x.class.cmp(&y.class)));
        let key = |e: &Event| (e.class, e.first_window, e.last_window);
        assert_eq!(
            got.iter().map(key).collect::<Vec<_>>(),
            want_events.iter().map(key).collect::<Vec<_>>(),
            "chunk {chunk}"
        );
        assert_eq!(summary.windows, windows.len());
        assert_eq!(summary.scored_windows, scored.len() / n);
        for (a, b) in summary.probs.iter().zip(&want_clip) {
            assert!((a - b).abs() <= SCAN_TOL);
        }
        assert_eq!(
            summary.decision,
            decide(&want_clip, decision.threshold),
            "chunk {chunk}"
        );
        assert!((summary.duration_s - 6.0).abs() < 1e-9);
        assert!(
            summary
                .level_dbfs
                .is_some_and(|l| (-40.0..0.0).contains(&l))
        );
    }
}

/// Batching changes burn's summation order only: probabilities agree to float rounding.
const SCAN_TOL: f32 = 1e-5;

/// Largest |plan engine - burn| difference allowed, on probabilities and on embeddings
/// relative to the embedding's largest magnitude (f32 sums over up to 1,200 products, and
/// BatchNorm folded into the weights on one side only).
const ENGINE_TOL: f32 = 1e-4;

#[test]
fn plan_engine_equals_burn_on_full_size_and_small_models() {
    let mut cases = vec![
        (ModelConfig::SbCnn(SbCnnConfig::default()), 60, 41),
        (
            ModelConfig::SbCnn(SbCnnConfig {
                pool: [3, 2],
                ..Default::default()
            }),
            40,
            32,
        ),
        (ModelConfig::StrideDs(StrideDsConfig::default()), 60, 41),
        // Band statistics, standardisation (BatchNorm on flat features) and the head.
        (ModelConfig::Classical(ClassicalConfig::default()), 40, 32),
        // Logistic regression on SB-CNN's embedding: the base layers, then the same.
        (
            ModelConfig::Classical(ClassicalConfig {
                input: ClassicalInput::Embedding {
                    base: Box::new(ModelConfig::SbCnn(SbCnnConfig::default())),
                    base_classes: 7,
                },
                ..Default::default()
            }),
            60,
            41,
        ),
    ];
    cases.extend(configs().into_iter().map(|c| (c, 12, 10)));
    for (cfg, mels, frames) in cases {
        let file = random_file(&cfg, mels, frames, 10);
        let burn = Predictor::with_device(&file, Device::flex()).expect("burn predictor");
        let engine = PlanEngine::new(burn.plan(), &file.weights).expect("engine");
        let n = 4;
        let x: Vec<f32> = (0..n * mels * frames).map(|i| noise(i, 7)).collect();
        let what = format!("{} {mels}x{frames}", cfg.arch_name());

        let probs = burn.predict(&x, n).expect("burn predict");
        let emb = burn.embed(&x, n).expect("burn embed");
        let dim = burn.embedding_dim();
        let scale = emb.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
        let mut ws = engine.workspace();
        let (mut p, mut e) = (vec![0.0; 10], vec![0.0; dim]);
        for (k, win) in x.chunks_exact(mels * frames).enumerate() {
            engine.predict_into(win, &mut ws, &mut p);
            for (a, b) in p.iter().zip(&probs[k * 10..][..10]) {
                assert!(
                    (a - b).abs() <= ENGINE_TOL,
                    "{what}: window {k}: {p:?} vs burn"
                );
            }
            engine.embed_into(win, &mut ws, &mut e);
            for (a, b) in e.iter().zip(&emb[k * dim..][..dim]) {
                assert!(
                    (a - b).abs() <= ENGINE_TOL * scale,
                    "{what}: window {k}: embedding {a} vs burn {b}"
                );
            }
        }
        // Predictor::new runs the engine by default (unless HARK_KERNELS=burn is set).
        if std::env::var(KERNELS_ENV).is_err() {
            let fast = Predictor::new(&file).expect("default predictor");
            let fp = fast.predict(&x, n).expect("fast predict");
            let fe = fast.embed(&x, n).expect("fast embed");
            engine.predict_into(&x[..mels * frames], &mut ws, &mut p);
            assert_eq!(&fp[..10], &p[..], "{what}: Predictor uses the engine");
            assert_eq!(fp.len(), probs.len());
            assert_eq!(fe.len(), emb.len());
        }
    }
}
