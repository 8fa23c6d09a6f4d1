//! Classical fit (logistic regression on log-mel statistics or on another model's
//! embedding): accuracy on generated data, optimality of the fitted weights, the stored
//! standardisation against a naive computation, and the embedding model's weights copied
//! unchanged.

use std::sync::atomic::AtomicBool;

use hark_infer::*;
use hark_model::{ClassicalConfig, ClassicalInput, ClassicalMethod, ModelConfig, SbCnnConfig};
use hark_train::*;

const MELS: usize = 12;
const FRAMES: usize = 10;
const CLASSES: usize = 3;
/// Test-set accuracy logistic regression must reach on the generated classes, which differ
/// in their band levels and spreads (separable in band statistics, not in any single value).
const MIN_ACC: f32 = 0.95;
/// Accuracy the logistic regression on a 2-epoch SB-CNN's embedding must beat (chance 1/3).
const MIN_EMBED_ACC: f32 = 0.6;
/// Largest difference between a stored mean/variance and the naive f64 computation,
/// relative to max(1, |value|) (f32 storage).
const STATS_TOL: f32 = 1e-5;
/// Largest difference between hark's probabilities and the naive softmax of the stored
/// head on naively standardised statistics (f32 arithmetic in a different order).
const PROB_TOL: f32 = 1e-4;
/// The regularised loss's gradient at the fitted weights, relative to its value at zero
/// weights: L-BFGS stops near the optimum.
const GRAD_RATIO: f64 = 1e-2;

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

/// Class 0: low bands loud; class 1: high bands loud; class 2: every band at the same mean
/// level as the others on average but flickering (large spread over frames).
fn dataset(per_class: usize, seed: u64) -> WindowSet {
    let mut rng = Lcg(seed);
    let mut set = WindowSet::new(MELS, FRAMES);
    let mut w = vec![0f32; MELS * FRAMES];
    for i in 0..per_class * CLASSES {
        let class = (i % CLASSES) as u32;
        let level = rng.next() - 0.5;
        for m in 0..MELS {
            for t in 0..FRAMES {
                let noise = 0.6 * (rng.next() - 0.5);
                let v = match class {
                    0 => {
                        if m < MELS / 2 {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                    1 => {
                        if m < MELS / 2 {
                            -1.0
                        } else {
                            1.0
                        }
                    }
                    _ => {
                        if (t + m) % 2 == 0 {
                            1.2
                        } else {
                            -1.2
                        }
                    }
                };
                w[m * FRAMES + t] = level + v + noise;
            }
        }
        set.push(&w, class, i as u32).expect("window size");
    }
    set
}

fn meta(model: &ModelConfig) -> ModelMeta {
    ModelMeta {
        model: model.clone(),
        features: hark_features::FeatureConfig {
            n_mels: MELS,
            window_frames: FRAMES,
            ..Default::default()
        },
        class_names: vec!["low".into(), "high".into(), "flicker".into()],
        decision: DecisionConfig::default(),
        held_out: HeldOut::default(),
        input_shape: [1, MELS, FRAMES],
        training: TrainingSummary::default(),
        input_profile: None,
    }
}

fn logreg(c: f64, max_iter: u64) -> ModelConfig {
    ModelConfig::Classical(ClassicalConfig {
        method: ClassicalMethod::Logreg { c, max_iter },
        input: ClassicalInput::BandStats,
    })
}

fn fit(model: &ModelConfig, tr: &WindowSet, init: Option<&ModelWeights>) -> ModelFile {
    let out = train_from(
        model,
        &TrainConfig::default(),
        CLASSES,
        tr,
        None,
        init,
        &mut NoObserver,
        &AtomicBool::new(false),
    )
    .expect("fit");
    assert_eq!((out.history.len(), out.best_epoch), (1, 1));
    ModelFile {
        meta: meta(model),
        weights: out.weights,
    }
}

fn tensor<'a>(file: &'a ModelFile, name: &str) -> &'a [f32] {
    &file
        .weights
        .tensors
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tensor {name}"))
        .data
}

/// Naive per-band mean and population standard deviation of one window.
fn naive_stats(w: &[f32]) -> Vec<f64> {
    let rows: Vec<&[f32]> = w.chunks(FRAMES).collect();
    let means: Vec<f64> = rows
        .iter()
        .map(|r| r.iter().map(|&v| f64::from(v)).sum::<f64>() / FRAMES as f64)
        .collect();
    let stds = rows.iter().zip(&means).map(|(r, m)| {
        (r.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / FRAMES as f64).sqrt()
    });
    means.iter().copied().chain(stds).collect()
}

fn accuracy(file: &ModelFile, set: &WindowSet) -> f32 {
    let p = Predictor::new(file).expect("predictor");
    let probs = p.predict(&set.data, set.len()).expect("predict");
    let right = probs
        .chunks(CLASSES)
        .zip(&set.labels)
        .filter(|(r, l)| {
            let best = (0..CLASSES)
                .max_by(|&a, &b| r[a].total_cmp(&r[b]))
                .unwrap_or(0);
            best == **l as usize
        })
        .count();
    right as f32 / set.len() as f32
}

#[test]
fn logistic_regression_on_band_statistics_separates_generated_classes() {
    let (tr, te) = (dataset(60, 1), dataset(40, 2));
    let file = fit(&logreg(1.0, 100), &tr, None);
    let acc = accuracy(&file, &te);
    assert!(acc >= MIN_ACC, "test accuracy {acc} < {MIN_ACC}");
}

#[test]
fn standardisation_is_fitted_on_training_windows_and_run_as_stored() {
    let (tr, te) = (dataset(30, 3), dataset(10, 4));
    // Validation windows far from the training ones: statistics that used them would show.
    let mut val = dataset(10, 5);
    val.data.iter_mut().for_each(|v| *v = *v * 3.0 + 5.0);
    let model = logreg(1.0, 100);
    let out = train_from(
        &model,
        &TrainConfig::default(),
        CLASSES,
        &tr,
        Some(&val),
        None,
        &mut NoObserver,
        &AtomicBool::new(false),
    )
    .expect("fit");
    let file = ModelFile {
        meta: meta(&model),
        weights: out.weights,
    };
    // Stored mean and variance = the naive ones over the training windows only.
    let feats: Vec<Vec<f64>> = (0..tr.len()).map(|i| naive_stats(tr.window(i))).collect();
    let d = 2 * MELS;
    let n = feats.len() as f64;
    let mean: Vec<f64> = (0..d)
        .map(|j| feats.iter().map(|f| f[j]).sum::<f64>() / n)
        .collect();
    let var: Vec<f64> = (0..d)
        .map(|j| feats.iter().map(|f| (f[j] - mean[j]).powi(2)).sum::<f64>() / n)
        .collect();
    for (name, want) in [
        ("norms.0.running_mean", &mean),
        ("norms.0.running_var", &var),
    ] {
        for (got, want) in tensor(&file, name).iter().zip(want.iter()) {
            let want = *want as f32;
            assert!(
                (got - want).abs() <= STATS_TOL * want.abs().max(1.0),
                "{name}: {got} != {want}"
            );
        }
    }
    // hark's probabilities = softmax(((stats - mean) / std) W + b), computed naively.
    let (w, b) = (
        tensor(&file, "linears.0.weight"),
        tensor(&file, "linears.0.bias"),
    );
    let probs = Predictor::new(&file)
        .expect("predictor")
        .predict(&te.data, te.len())
        .expect("predict");
    for (i, got) in probs.chunks(CLASSES).enumerate() {
        let f = naive_stats(te.window(i));
        let z: Vec<f64> = (0..CLASSES)
            .map(|k| {
                f64::from(b[k])
                    + (0..d)
                        .map(|j| (f[j] - mean[j]) / var[j].sqrt() * f64::from(w[j * CLASSES + k]))
                        .sum::<f64>()
            })
            .collect();
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
        for k in 0..CLASSES {
            let want = ((z[k] - max).exp() / sum) as f32;
            assert!((got[k] - want).abs() < PROB_TOL, "window {i}: {got:?}");
        }
    }
}

#[test]
fn fitted_weights_are_near_the_regularised_optimum() {
    // Gradient of sum(log-loss) + ||W||^2 / (2C) on the standardised statistics:
    // X^T (P - Y) + W / C for W, sum(P - Y) for b.
    let tr = dataset(30, 5);
    let c = 1.0;
    let file = fit(&logreg(c, 1000), &tr, None);
    let (mean, var) = (
        tensor(&file, "norms.0.running_mean"),
        tensor(&file, "norms.0.running_var"),
    );
    let d = 2 * MELS;
    let x: Vec<Vec<f64>> = (0..tr.len())
        .map(|i| {
            naive_stats(tr.window(i))
                .iter()
                .enumerate()
                .map(|(j, v)| (v - f64::from(mean[j])) / f64::from(var[j]).sqrt())
                .collect()
        })
        .collect();
    let grad_norm = |w: &[f64], b: &[f64]| {
        let mut g = vec![0f64; (d + 1) * CLASSES];
        for (row, &label) in x.iter().zip(&tr.labels) {
            let z: Vec<f64> = (0..CLASSES)
                .map(|k| b[k] + (0..d).map(|j| row[j] * w[j * CLASSES + k]).sum::<f64>())
                .collect();
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
            for k in 0..CLASSES {
                let r = (z[k] - max).exp() / sum - f64::from(u8::from(label as usize == k));
                for j in 0..d {
                    g[j * CLASSES + k] += row[j] * r;
                }
                g[d * CLASSES + k] += r;
            }
        }
        for j in 0..d * CLASSES {
            g[j] += w[j] / c;
        }
        g.iter().map(|v| v * v).sum::<f64>().sqrt()
    };
    let w: Vec<f64> = tensor(&file, "linears.0.weight")
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let b: Vec<f64> = tensor(&file, "linears.0.bias")
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let at_fit = grad_norm(&w, &b);
    let at_zero = grad_norm(&vec![0.0; d * CLASSES], &[0.0; CLASSES]);
    assert!(
        at_fit < GRAD_RATIO * at_zero,
        "gradient {at_fit} at the fit vs {at_zero} at zero"
    );
}

#[test]
fn logistic_regression_on_an_embedding_keeps_the_base_weights_bit_identical() {
    let base_cfg = ModelConfig::SbCnn(SbCnnConfig {
        filters: [4, 6, 6],
        kernel: [3, 3],
        pool: [2, 2],
        dense: 8,
        dropout: 0.1,
    });
    let (tr, te) = (dataset(20, 6), dataset(10, 7));
    let base = train(
        &base_cfg,
        &TrainConfig {
            epochs: 2,
            batch_size: 16,
            ..Default::default()
        },
        CLASSES,
        &tr,
        None,
        &mut NoObserver,
        &AtomicBool::new(false),
    )
    .expect("base");
    let model = ModelConfig::Classical(ClassicalConfig {
        method: ClassicalMethod::default(),
        input: ClassicalInput::Embedding {
            base: Box::new(base_cfg.clone()),
            base_classes: CLASSES,
        },
    });
    // Without the base weights, the missing tensor is named.
    let err = train_from(
        &model,
        &TrainConfig::default(),
        CLASSES,
        &tr,
        None,
        None,
        &mut NoObserver,
        &AtomicBool::new(false),
    )
    .expect_err("no base weights");
    assert!(err.to_string().contains("convs.0.weight"), "{err}");

    let file = fit(&model, &tr, Some(&base.weights));
    let plan = base_cfg.plan(MELS, FRAMES, CLASSES).expect("plan");
    let copied: Vec<String> = plan.layers[..=plan.embedding_layer()]
        .iter()
        .flat_map(|l| l.params())
        .map(|p| p.name)
        .collect();
    assert!(!copied.is_empty());
    for name in &copied {
        let want = base
            .weights
            .tensors
            .iter()
            .find(|t| &t.name == name)
            .expect("base");
        let got = tensor(&file, name);
        assert!(
            got.iter()
                .zip(&want.data)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{name} changed"
        );
    }
    // The base's output layer (`linears.1`, after the hidden `linears.0`) is not copied: the
    // head takes its name with fitted values.
    let head = tensor(&file, "linears.1.weight");
    let old = &base
        .weights
        .tensors
        .iter()
        .find(|t| t.name == "linears.1.weight")
        .expect("base head")
        .data;
    assert_eq!(head.len(), old.len());
    assert_ne!(head, &old[..], "the head was copied, not fitted");
    let acc = accuracy(&file, &te);
    assert!(acc > MIN_EMBED_ACC, "accuracy {acc}");
}

#[test]
fn augmentation_and_class_weights_are_refused_for_classical_models() {
    let tr = dataset(5, 8);
    for (cfg, what) in [
        (
            TrainConfig {
                augment: AugmentConfig::parse("mixup").expect("spec"),
                ..Default::default()
            },
            "augment",
        ),
        (
            TrainConfig {
                class_weights: true,
                ..Default::default()
            },
            "class_weights",
        ),
    ] {
        let err = train(
            &logreg(1.0, 100),
            &cfg,
            CLASSES,
            &tr,
            None,
            &mut NoObserver,
            &AtomicBool::new(false),
        )
        .expect_err(what);
        assert!(err.to_string().contains(what), "{err}");
    }
}
