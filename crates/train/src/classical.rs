//! Classical fit (train stage): the feature map of a [`ClassicalConfig`] run over every
//! window, a standardisation fitted on the training windows only, and a linear head fitted
//! by linfa (multinomial logistic regression, L-BFGS), all written as the plan's tensors so
//! the result is an ordinary hark model.
//!
//! linfa was chosen by measuring it, smartcore and scikit-learn on the same features
//! (bench/classical, BENCHMARKS.md): linfa's logistic regression fits 4.6x faster than
//! smartcore's and exposes its coefficients. Neither offers a linear SVM hark can use yet:
//! linfa's SMO builds the dense kernel matrix (70 s on 2,700 FSDD windows), smartcore's
//! multi-class SVC is one-vs-one with private weights.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use hark_infer::{ModelWeights, NamedTensor, PlanEngine};
use hark_model::{ClassicalConfig, ClassicalMethod, LayerPlan, ModelConfig};
use linfa::prelude::*;
use ndarray::{Array1, Array2, ArrayView1};

use crate::{EpochStats, TrainError, TrainObserver, TrainOutcome, WindowSet};

/// Variance below which a feature counts as constant and is left unscaled (variance 1, as
/// scikit-learn's `StandardScaler`).
pub const MIN_VARIANCE: f64 = 1e-12;

/// The feature map of a classical model: its plan's layers before `standardize`, compiled
/// with `init`'s tensors of those layers (none for band statistics).
pub struct FeatureMap {
    engine: PlanEngine,
    dim: usize,
    /// The feature layers' tensors (copied into the fitted model).
    pub tensors: Vec<NamedTensor>,
}

impl FeatureMap {
    /// Compile the feature layers of `plan` (a [`ClassicalConfig`]'s plan).
    pub fn new(plan: &LayerPlan, init: Option<&ModelWeights>) -> Result<FeatureMap, TrainError> {
        let k = ClassicalConfig::feature_layers(plan);
        let prefix = LayerPlan {
            input: plan.input,
            layers: plan.layers[..k].to_vec(),
        };
        let mut tensors = Vec::new();
        for spec in prefix.params() {
            let t = init
                .and_then(|w| w.tensors.iter().find(|t| t.name == spec.name))
                .ok_or_else(|| {
                    TrainError::BadData(format!(
                        "the embedding model's tensor `{}` is missing: give the model the embedding comes from",
                        spec.name
                    ))
                })?;
            tensors.push(t.clone());
        }
        let weights = ModelWeights {
            tensors: tensors.clone(),
        };
        let dim = prefix
            .layers
            .last()
            .map_or(0, |l| l.output.iter().product());
        Ok(FeatureMap {
            engine: PlanEngine::new(&prefix, &weights)?,
            dim,
            tensors,
        })
    }

    /// Values per feature vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Feature vectors of every window of `set`, `[set.len(), dim]`, on all cores.
    pub fn run(&self, set: &WindowSet) -> Array2<f64> {
        let mut out = vec![0f32; set.len() * self.dim];
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = set.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            for (c, chunk) in out.chunks_mut(per * self.dim.max(1)).enumerate() {
                s.spawn(move || {
                    let mut ws = self.engine.workspace();
                    for (j, row) in chunk.chunks_exact_mut(self.dim).enumerate() {
                        self.engine
                            .logits_into(set.window(c * per + j), &mut ws, row);
                    }
                });
            }
        });
        Array2::from_shape_fn((set.len(), self.dim), |(i, j)| {
            f64::from(out[i * self.dim + j])
        })
    }
}

/// Fit `model` (which must be [`ModelConfig::Classical`]) on `train`; `val` is scored.
/// `init` holds the embedding model's weights when the input is an embedding.
pub(crate) fn fit(
    model: &ModelConfig,
    n_classes: usize,
    train: &WindowSet,
    val: Option<&WindowSet>,
    init: Option<&ModelWeights>,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<TrainOutcome, TrainError> {
    let ModelConfig::Classical(cfg) = model else {
        return Err(TrainError::BadSetting {
            name: "model",
            reason: "the classical fit needs a classical model (logreg)".into(),
        });
    };
    let t0 = Instant::now();
    let plan = model.plan(train.n_mels, train.n_frames, n_classes)?;
    let map = FeatureMap::new(&plan, init)?;
    let mut x = map.run(train);
    let y: Array1<usize> = train.labels.iter().map(|&l| l as usize).collect();
    let (mean, var) = standardise_fit(&x);
    standardise(&mut x, &mean, &var);
    if stop.load(Ordering::Relaxed) {
        return Ok(interrupted());
    }
    let (w, b) = match cfg.method {
        ClassicalMethod::Logreg { c, max_iter } => logreg(&x, &y, n_classes, c, max_iter)?,
    };
    let train_secs = t0.elapsed().as_secs_f32();
    let (train_loss, train_acc) = score(&x, &y, &w, &b);
    let (val_loss, val_acc) = match val {
        Some(v) if !v.is_empty() => {
            let mut xv = map.run(v);
            standardise(&mut xv, &mean, &var);
            let yv: Array1<usize> = v.labels.iter().map(|&l| l as usize).collect();
            let (l, a) = score(&xv, &yv, &w, &b);
            (Some(l), Some(a))
        }
        _ => (None, None),
    };
    let stats = EpochStats {
        epoch: 1,
        train_loss,
        train_acc,
        val_loss,
        val_acc,
        lr: 0.0,
        seconds: t0.elapsed().as_secs_f32(),
        windows_per_sec: train.len() as f32 / train_secs.max(1e-6),
        augment_seconds: 0.0,
    };
    observer.on_epoch(&stats);

    let k = ClassicalConfig::feature_layers(&plan);
    let mut tensors = map.tensors;
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let d = map.dim;
    let values: [Vec<f32>; 6] = [
        vec![1.0; d],
        vec![0.0; d],
        f32s(mean.as_slice().unwrap_or(&[])),
        f32s(var.as_slice().unwrap_or(&[])),
        f32s(w.as_slice().unwrap_or(&[])),
        f32s(b.as_slice().unwrap_or(&[])),
    ];
    let specs = plan.layers[k]
        .params()
        .into_iter()
        .chain(plan.layers[k + 1].params());
    for (spec, data) in specs.zip(values) {
        tensors.push(NamedTensor {
            name: spec.name,
            shape: spec.shape,
            data,
        });
    }
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(TrainOutcome {
        weights: ModelWeights { tensors },
        windows_per_sec: stats.windows_per_sec,
        history: vec![stats],
        best_epoch: 1,
        interrupted: false,
    })
}

fn interrupted() -> TrainOutcome {
    TrainOutcome {
        weights: ModelWeights::default(),
        history: Vec::new(),
        best_epoch: 0,
        interrupted: true,
        windows_per_sec: 0.0,
    }
}

/// Per-feature mean and population variance (constant features get variance 1).
fn standardise_fit(x: &Array2<f64>) -> (Array1<f64>, Array1<f64>) {
    let n = x.nrows().max(1) as f64;
    let mean = x.sum_axis(ndarray::Axis(0)) / n;
    let var = x
        .rows()
        .into_iter()
        .fold(Array1::zeros(x.ncols()), |acc: Array1<f64>, r| {
            acc + (&r - &mean).mapv(|v| v * v)
        })
        / n;
    let var = var.mapv(|v| if v < MIN_VARIANCE { 1.0 } else { v });
    (mean, var)
}

fn standardise(x: &mut Array2<f64>, mean: &Array1<f64>, var: &Array1<f64>) {
    let std = var.mapv(f64::sqrt);
    for mut row in x.rows_mut() {
        row -= mean;
        row /= &std;
    }
}

/// Multinomial logistic regression; `[d, n_classes]` weights and `[n_classes]` biases.
/// Classes without training windows get zero weights and a bias far below the rest.
fn logreg(
    x: &Array2<f64>,
    y: &Array1<usize>,
    n_classes: usize,
    c: f64,
    max_iter: u64,
) -> Result<(Array2<f64>, Array1<f64>), TrainError> {
    let ds = Dataset::new(x.clone(), y.clone());
    let m = linfa_logistic::MultiLogisticRegression::default()
        .alpha(1.0 / c)
        .max_iterations(max_iter)
        .fit(&ds)
        .map_err(|e| TrainError::BadData(format!("logistic regression: {e}")))?;
    let mut w = Array2::zeros((x.ncols(), n_classes));
    let mut b = Array1::from_elem(n_classes, f64::NAN);
    for (j, &class) in m.classes().iter().enumerate() {
        w.column_mut(class).assign(&m.params().column(j));
        b[class] = m.intercept()[j];
    }
    absent_classes(&mut b);
    Ok((w, b))
}

/// Biases still NaN (classes with no training window) go far below every other bias, so
/// those classes get (numerically) zero probability.
fn absent_classes(b: &mut Array1<f64>) {
    let low = b
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::min)
        - 100.0;
    b.mapv_inplace(|v| if v.is_finite() { v } else { low });
}

/// Mean cross-entropy of the softmax of `x W + b`, and accuracy.
fn score(x: &Array2<f64>, y: &Array1<usize>, w: &Array2<f64>, b: &Array1<f64>) -> (f32, f32) {
    let logits = x.dot(w) + b;
    let (mut loss, mut right) = (0.0, 0usize);
    for (row, &label) in logits.rows().into_iter().zip(y) {
        let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let lse = row.mapv(|v| (v - max).exp()).sum().ln() + max;
        loss += lse - row[label];
        right += usize::from(argmax(row) == label);
    }
    let n = y.len().max(1) as f64;
    ((loss / n) as f32, (right as f64 / n) as f32)
}

fn argmax(row: ArrayView1<f64>) -> usize {
    row.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}
