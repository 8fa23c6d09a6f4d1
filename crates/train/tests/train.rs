//! Integration tests of training, the model file and prediction on small generated data.

use std::sync::atomic::AtomicBool;

use hark_infer::*;
use hark_model::{ModelConfig, SbCnnConfig, StrideDsConfig};
use hark_train::*;

/// Window shape of the generated data.
const MELS: usize = 12;
const FRAMES: usize = 10;
/// Accuracy a trained model must beat on the 3-class generated set (chance is 1/3).
const MIN_VAL_ACC: f32 = 0.6;

/// Deterministic pseudo-random numbers in [0, 1) for data generation.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32) / (1u64 << 24) as f32
    }
}

/// Three "spectrogram-like" classes: 0 = steady tone (one bright mel row), 1 = broadband
/// noise, 2 = up-chirp (a bright diagonal). Each clip yields `per_clip` windows.
fn dataset(clips_per_class: usize, per_clip: usize, seed: u64) -> WindowSet {
    let mut rng = Lcg(seed);
    let mut set = WindowSet::new(MELS, FRAMES);
    let mut w = vec![0f32; MELS * FRAMES];
    let mut clip = 0u32;
    for class in 0..3u32 {
        for _ in 0..clips_per_class {
            let row = (rng.next() * MELS as f32) as usize % MELS;
            for _ in 0..per_clip {
                let shift = (rng.next() * 4.0) as usize;
                for m in 0..MELS {
                    for t in 0..FRAMES {
                        let base = 0.4 * rng.next() - 0.2;
                        let on = match class {
                            0 => m == row,
                            1 => rng.next() < 0.35,
                            _ => m == (t + shift) % MELS,
                        };
                        w[m * FRAMES + t] = base + if on { 1.5 } else { -0.3 };
                    }
                }
                set.push(&w, class, clip).expect("window size");
            }
            clip += 1;
        }
    }
    set
}

fn tiny_sbcnn() -> ModelConfig {
    ModelConfig::SbCnn(SbCnnConfig {
        filters: [6, 8, 8],
        kernel: [3, 3],
        pool: [2, 2],
        dense: 16,
        dropout: 0.1,
    })
}

fn tiny_cfg(epochs: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        optimizer: OptimizerConfig::Adam {
            lr: 3e-3,
            weight_decay: None,
        },
        patience: None,
        seed,
        ..Default::default()
    }
}

fn run(
    model: &ModelConfig,
    cfg: &TrainConfig,
    tr: &WindowSet,
    va: Option<&WindowSet>,
) -> TrainOutcome {
    train(
        model,
        cfg,
        3,
        tr,
        va,
        &mut NoObserver,
        &AtomicBool::new(false),
    )
    .expect("training runs")
}

fn meta(model: &ModelConfig, outcome: &TrainOutcome) -> ModelMeta {
    ModelMeta {
        model: model.clone(),
        features: hark_features::FeatureConfig {
            n_mels: MELS,
            window_frames: FRAMES,
            ..Default::default()
        },
        class_names: vec!["tone".into(), "noise".into(), "chirp".into()],
        decision: DecisionConfig::default(),
        held_out: HeldOut::default(),
        input_shape: [1, MELS, FRAMES],
        training: TrainingSummary {
            epochs: outcome.history.len(),
            best_epoch: outcome.best_epoch,
            dataset: "generated".into(),
            seed: 1,
            date: utc_now(),
            hark_version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        },
        input_profile: None,
    }
}

#[test]
fn loss_decreases_and_accuracy_beats_chance() {
    let all = dataset(12, 4, 1);
    let (tr, va) = all.split_by_clip(0.25, 3).expect("split");
    for model in [
        tiny_sbcnn(),
        ModelConfig::StrideDs(StrideDsConfig {
            filters: 8,
            dense: 16,
            dropout: 0.1,
            ..Default::default()
        }),
    ] {
        let out = run(&model, &tiny_cfg(8, 5), &tr, Some(&va));
        let h = &out.history;
        assert_eq!(h.len(), 8);
        assert!(
            h[h.len() - 1].train_loss < h[0].train_loss,
            "{model:?}: loss {:?}",
            h.iter().map(|s| s.train_loss).collect::<Vec<_>>()
        );
        let best = h[out.best_epoch - 1].val_acc.expect("validated");
        assert!(best > MIN_VAL_ACC, "{model:?}: val acc {best}");
        // The returned weights are the best epoch's: the predictor reproduces its accuracy.
        let file = ModelFile {
            meta: meta(&model, &out),
            weights: out.weights.clone(),
        };
        let p = Predictor::new(&file)
            .expect("predictor")
            .predict(&va.data, va.len())
            .expect("predict");
        let acc = p
            .chunks(3)
            .zip(&va.labels)
            .filter(|(r, l)| argmax(r) == **l as usize)
            .count() as f32
            / va.len() as f32;
        assert!(
            (acc - best).abs() < 1e-6,
            "predictor acc {acc} vs best-epoch val acc {best}"
        );
    }
}

fn argmax(r: &[f32]) -> usize {
    (0..r.len()).fold(0, |b, i| if r[i] > r[b] { i } else { b })
}

#[test]
fn same_seed_same_weights_different_seed_different() {
    let tr = dataset(3, 4, 9);
    let a = run(&tiny_sbcnn(), &tiny_cfg(1, 11), &tr, None).weights;
    let b = run(&tiny_sbcnn(), &tiny_cfg(1, 11), &tr, None).weights;
    let c = run(&tiny_sbcnn(), &tiny_cfg(1, 12), &tr, None).weights;
    assert_eq!(a, b, "same seed must give identical weights");
    assert_ne!(a, c, "different seeds must give different weights");
}

#[test]
fn sgd_nesterov_with_schedules_trains() {
    let tr = dataset(4, 3, 2);
    for sched in [
        LrSchedule::Cosine,
        LrSchedule::ReduceOnPlateau {
            factor: 0.5,
            patience: 1,
        },
    ] {
        let cfg = TrainConfig {
            optimizer: OptimizerConfig::Sgd {
                lr: 0.05,
                momentum: 0.9,
                nesterov: true,
                weight_decay: Some(1e-4),
            },
            lr_schedule: sched.clone(),
            ..tiny_cfg(3, 4)
        };
        let out = run(&tiny_sbcnn(), &cfg, &tr, None);
        assert!(out.history.iter().all(|s| s.train_loss.is_finite()));
        if sched == LrSchedule::Cosine {
            assert!(out.history[2].lr < out.history[0].lr);
        }
    }
}

/// Windows of three classes with `counts[c]` clips each (3 windows per clip): 0 = steady tone,
/// 1 = broadband noise, 2 = noise with a faint tone (hard to tell from 1).
fn unbalanced(counts: [usize; 3], seed: u64) -> WindowSet {
    let mut rng = Lcg(seed);
    let mut set = WindowSet::new(MELS, FRAMES);
    let mut w = vec![0f32; MELS * FRAMES];
    let mut clip = 0u32;
    for (class, &n) in counts.iter().enumerate() {
        for _ in 0..n {
            for _ in 0..3 {
                for m in 0..MELS {
                    for t in 0..FRAMES {
                        let base = 0.4 * rng.next() - 0.2;
                        let on = match class {
                            0 => m == 3,
                            _ => rng.next() < 0.35,
                        };
                        let faint = if class == 2 && m == 8 { 0.7 } else { 0.0 };
                        w[m * FRAMES + t] = base + faint + if on { 1.5 } else { -0.3 };
                    }
                }
                set.push(&w, class as u32, clip).expect("window size");
            }
            clip += 1;
        }
    }
    set
}

/// Recall of class `c` by window on `set`.
fn recall(file: &ModelFile, set: &WindowSet, c: u32) -> f32 {
    let p = Predictor::new(file).expect("predictor");
    let probs = p.predict(&set.data, set.len()).expect("predict");
    let (mut hit, mut n) = (0, 0);
    for (row, &l) in probs.chunks(3).zip(&set.labels) {
        if l == c {
            n += 1;
            hit += usize::from(argmax(row) == c as usize);
        }
    }
    hit as f32 / n as f32
}

#[test]
fn class_weights_raise_minority_recall_on_unbalanced_data() {
    // 30 : 30 : 3 clips. Unweighted, the minority class is cheap to get wrong.
    let tr = unbalanced([30, 30, 3], 11);
    let test = unbalanced([10, 10, 10], 12);
    assert_eq!(tr.class_counts(3), vec![90, 90, 9]);
    let model = tiny_sbcnn();
    let mut results = Vec::new();
    for class_weights in [false, true] {
        let cfg = TrainConfig {
            class_weights,
            ..tiny_cfg(6, 5)
        };
        let out = run(&model, &cfg, &tr, None);
        let file = ModelFile {
            meta: meta(&model, &out),
            weights: out.weights.clone(),
        };
        results.push((out.history[0].train_loss, recall(&file, &test, 2)));
    }
    let ((loss_plain, recall_plain), (loss_weighted, recall_weighted)) = (results[0], results[1]);
    println!(
        "unweighted: loss {loss_plain} recall {recall_plain}; weighted: loss {loss_weighted} recall {recall_weighted}"
    );
    assert_ne!(loss_plain, loss_weighted, "weights change the loss");
    assert!(
        recall_weighted > recall_plain,
        "minority recall: weighted {recall_weighted} <= unweighted {recall_plain}"
    );
}

#[test]
fn stop_flag_interrupts_and_returns_a_model() {
    let tr = dataset(2, 3, 4);
    let out = train(
        &tiny_sbcnn(),
        &tiny_cfg(5, 1),
        3,
        &tr,
        None,
        &mut NoObserver,
        &AtomicBool::new(true),
    )
    .expect("runs");
    assert!(out.interrupted);
    assert!(out.history.is_empty());
    assert!(!out.weights.tensors.is_empty());
}

#[test]
fn bad_settings_and_data_are_errors() {
    let tr = dataset(2, 2, 4);
    let stop = AtomicBool::new(false);
    let bad = TrainConfig {
        batch_size: 1,
        ..tiny_cfg(1, 1)
    };
    assert!(matches!(
        train(&tiny_sbcnn(), &bad, 3, &tr, None, &mut NoObserver, &stop),
        Err(TrainError::BadSetting { .. })
    ));
    assert!(matches!(
        train(
            &tiny_sbcnn(),
            &tiny_cfg(1, 1),
            2,
            &tr,
            None,
            &mut NoObserver,
            &stop
        ),
        Err(TrainError::BadData(_))
    ));
}

#[test]
fn split_by_clip_keeps_clips_together_and_stratifies() {
    let all = dataset(10, 3, 6);
    let (tr, va) = all.split_by_clip(0.2, 1).expect("split");
    assert_eq!(tr.len() + va.len(), all.len());
    for c in &va.clip_ids {
        assert!(!tr.clip_ids.contains(c), "clip {c} in both sets");
    }
    assert_eq!(va.class_counts(3), vec![6, 6, 6]); // 2 clips x 3 windows per class
}

#[test]
fn model_file_round_trip_gives_identical_predictions() {
    let tr = dataset(3, 3, 7);
    let model = tiny_sbcnn();
    let out = run(&model, &tiny_cfg(2, 3), &tr, None);
    let file = ModelFile {
        meta: meta(&model, &out),
        weights: out.weights,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.hark");
    file.save(&path).expect("save");
    let loaded = ModelFile::load(&path).expect("load");
    assert_eq!(loaded, file);
    let p1 = Predictor::new(&file)
        .expect("predictor")
        .predict(&tr.data, tr.len())
        .expect("predict");
    let p2 = Predictor::new(&loaded)
        .expect("predictor")
        .predict(&tr.data, tr.len())
        .expect("predict");
    assert_eq!(p1, p2);
    assert_eq!(p1.len(), tr.len() * 3);
    assert!(
        p1.chunks(3)
            .all(|r| (r.iter().sum::<f32>() - 1.0).abs() < 1e-5)
    );
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);

    // Windows of the wrong shape are refused.
    let pred = Predictor::new(&loaded).expect("predictor");
    assert!(matches!(
        pred.predict(&tr.data[..tr.data.len() - 1], tr.len()),
        Err(InferError::InputShape { .. })
    ));
}

#[test]
fn corrupt_truncated_foreign_and_newer_files_are_refused() {
    let tr = dataset(2, 3, 8);
    let model = tiny_sbcnn();
    let out = run(&model, &tiny_cfg(1, 3), &tr, None);
    let file = ModelFile {
        meta: meta(&model, &out),
        weights: out.weights,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = file.to_bytes().expect("bytes");

    let truncated = dir.path().join("truncated.hark");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    assert!(matches!(
        ModelFile::load(&truncated),
        Err(InferError::NotAModel { .. })
    ));

    let foreign = dir.path().join("foreign.hark");
    std::fs::write(&foreign, b"RIFF....WAVEfmt ").expect("write");
    assert!(matches!(
        ModelFile::load(&foreign),
        Err(InferError::NotAModel { .. })
    ));

    let missing = dir.path().join("missing.hark");
    assert!(matches!(
        ModelFile::load(&missing),
        Err(InferError::Io { .. })
    ));

    // A safetensors file from another tool.
    let other = safetensors::serialize(
        Vec::<(String, safetensors::tensor::TensorView)>::new(),
        None,
    )
    .expect("st");
    std::fs::write(&foreign, other).expect("write");
    assert!(matches!(
        ModelFile::load(&foreign),
        Err(InferError::NotAModel { .. })
    ));

    // Newer format version.
    let (from, to) = (
        &b"\"format_version\":\"3\""[..],
        &b"\"format_version\":\"9\""[..],
    );
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("version entry in header");
    let mut newer_bytes = bytes.clone();
    newer_bytes[at..at + to.len()].copy_from_slice(to);
    let newer = dir.path().join("newer.hark");
    std::fs::write(&newer, &newer_bytes).expect("write");
    assert!(matches!(
        ModelFile::load(&newer),
        Err(InferError::NewerFormat { found: 9, .. })
    ));

    // Weights that do not fit the architecture: a different filter count in the metadata.
    let mut wrong = file.clone();
    wrong.meta.model = ModelConfig::SbCnn(SbCnnConfig {
        filters: [7, 8, 8],
        kernel: [3, 3],
        pool: [2, 2],
        dense: 16,
        dropout: 0.1,
    });
    match Predictor::new(&wrong) {
        Err(InferError::WeightMismatch {
            name,
            expected,
            actual,
        }) => {
            assert!(name.contains("conv"), "{name}");
            assert_ne!(expected, actual);
        }
        other => panic!("expected WeightMismatch, got {other:?}"),
    }
    // A missing tensor.
    let mut missing_t = file.clone();
    missing_t.weights.tensors.pop();
    assert!(matches!(
        Predictor::new(&missing_t),
        Err(InferError::WeightMismatch { .. })
    ));
    // An extra tensor.
    let mut extra = file.clone();
    extra.weights.tensors.push(NamedTensor {
        name: "bogus".into(),
        shape: vec![1],
        data: vec![0.0],
    });
    assert!(
        matches!(Predictor::new(&extra), Err(InferError::WeightMismatch { name, .. }) if name == "bogus")
    );
}

#[test]
fn history_csv_and_png_are_written() {
    let all = dataset(4, 3, 5);
    let (tr, va) = all.split_by_clip(0.25, 1).expect("split");
    let out = run(&tiny_sbcnn(), &tiny_cfg(4, 2), &tr, Some(&va));
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("history.csv");
    write_history_csv(&csv, &out.history).expect("csv");
    let text = std::fs::read_to_string(&csv).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], HISTORY_CSV_HEADER);
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[1].split(',').count(), 8);
    let png = dir.path().join("history.png");
    render_history_png(&png, &out.history, out.best_epoch, Some(0.5)).expect("png");
    let bytes = std::fs::read(&png).expect("read");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    if let Ok(keep) = std::env::var("HARK_KEEP_PNG") {
        std::fs::copy(&png, keep).expect("copy");
    }
}

/// Collects what augmentation applied.
#[derive(Default)]
struct Recorder(Vec<Applied>);

impl TrainObserver for Recorder {
    fn on_epoch(&mut self, _stats: &EpochStats) {}
    fn wants_augment_log(&self) -> bool {
        true
    }
    fn on_augment(&mut self, applied: &[Applied]) {
        self.0.extend_from_slice(applied);
    }
}

/// Each example's augmentation derives from (seed, epoch, window): the same with 1 and 2
/// threads, different with another seed, and drawn afresh every epoch.
#[test]
fn augmented_batches_are_the_same_at_one_and_two_threads() {
    let data = dataset(4, 3, 5);
    let cfg = TrainConfig {
        augment: AugmentConfig::parse("specaugment,mixup").expect("spelling"),
        ..tiny_cfg(2, 7)
    };
    let record = |threads: usize, cfg: &TrainConfig| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let mut r = Recorder::default();
            train(
                &tiny_sbcnn(),
                cfg,
                3,
                &data,
                None,
                &mut r,
                &AtomicBool::new(false),
            )
            .expect("training runs");
            r.0
        })
    };
    let one = record(1, &cfg);
    assert_eq!(one.len(), 2 * data.len(), "every window in both epochs");
    assert_eq!(one, record(2, &cfg));
    let (first, second): (Vec<_>, Vec<_>) = one.iter().partition(|a| a.epoch == 1);
    let masks = |v: &[&Applied]| {
        let mut m: Vec<_> = v.iter().map(|a| (a.window, a.freq_masks.clone())).collect();
        m.sort();
        m.into_iter().map(|(_, f)| f).collect::<Vec<_>>()
    };
    assert_ne!(masks(&first), masks(&second), "new draws each epoch");
    let other = TrainConfig {
        seed: 8,
        ..cfg.clone()
    };
    assert_ne!(one, record(1, &other));
}

/// The augmentation setting travels in the model file's training settings.
#[test]
fn augmentation_setting_is_saved_in_the_training_config() {
    let cfg = TrainConfig {
        augment: AugmentConfig::parse("freqmask=1x4@0.5,mixup=0.3").expect("spelling"),
        ..tiny_cfg(1, 3)
    };
    let json = serde_json::to_value(&cfg).expect("serialises");
    let back: TrainConfig = serde_json::from_value(json).expect("parses");
    assert_eq!(back.augment, cfg.augment);
    // Settings saved before augmentation existed read back as "no augmentation".
    let mut old = serde_json::to_value(TrainConfig::default()).expect("serialises");
    old.as_object_mut().expect("object").remove("augment");
    let old: TrainConfig = serde_json::from_value(old).expect("old settings parse");
    assert!(old.augment.is_off());
}

/// Transfer learning: a 3-class model starts a 2-class one (new output layer), the frozen
/// layers' parameters and BatchNorm statistics come out bit-identical, the others train.
#[test]
fn init_with_other_classes_trains_and_frozen_layers_stay_bit_identical() {
    let base = run(&tiny_sbcnn(), &tiny_cfg(2, 1), &dataset(8, 3, 1), None);
    let mut two = dataset(8, 3, 2);
    let keep: Vec<usize> = (0..two.len()).filter(|&i| two.labels[i] < 2).collect();
    two = two.subset(&keep);
    // Train `model` on the 2-class windows from the 3-class model's weights.
    let from_base = |model: &ModelConfig, cfg: &TrainConfig| {
        train_from(
            model,
            cfg,
            2,
            &two,
            None,
            Some(&base.weights),
            &mut NoObserver,
            &AtomicBool::new(false),
        )
    };
    let cfg = TrainConfig {
        freeze: vec!["block1".into(), "block2".into()],
        ..tiny_cfg(2, 3)
    };
    let out = from_base(&tiny_sbcnn(), &cfg).expect("fine-tuning runs");
    let get = |w: &ModelWeights, name: &str| -> Vec<u32> {
        w.tensors
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .data
            .iter()
            .map(|v| v.to_bits())
            .collect()
    };
    // block1 and block2: convs.0/1 and norms.0/1, running statistics included.
    for name in [
        "convs.0.weight",
        "convs.0.bias",
        "convs.1.weight",
        "norms.0.gamma",
        "norms.1.beta",
        "norms.0.running_mean",
        "norms.1.running_var",
    ] {
        assert_eq!(
            get(&out.weights, name),
            get(&base.weights, name),
            "{name} changed"
        );
    }
    // block3 trained on from the starting weights; the output layer is new, for 2 classes.
    assert_ne!(
        get(&out.weights, "convs.2.weight"),
        get(&base.weights, "convs.2.weight")
    );
    let head = out
        .weights
        .tensors
        .iter()
        .find(|t| t.name == "linears.1.weight")
        .expect("head");
    assert_eq!(head.shape[1], 2);

    // Another architecture, or an unknown layer, is refused with the names.
    let other = ModelConfig::StrideDs(StrideDsConfig::default());
    let err = from_base(&other, &tiny_cfg(1, 3)).expect_err("other architecture");
    // Stride-DS's stem is a 24-filter convolution: named, with both shapes.
    let msg = err.to_string();
    assert!(
        msg.contains("convs.0.weight")
            && msg.contains("[6, 1, 3, 3]")
            && msg.contains("[24, 1, 3, 3]"),
        "{msg}"
    );
    let cfg = TrainConfig {
        freeze: vec!["block9".into()],
        ..tiny_cfg(1, 3)
    };
    let err = from_base(&tiny_sbcnn(), &cfg).expect_err("unknown layer");
    assert!(err.to_string().contains("block1.conv"), "{err}");
}
