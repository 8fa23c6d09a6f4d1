//! The training loop (train stage): windows + model config -> trained weights and history.
//!
//! Runs on burn's Flex CPU backend with autodiff (or the first CUDA GPU when hark-train is
//! built with the `cuda` feature and `HARK_DEVICE=cuda`). Flex parallelises with rayon:
//! set `RAYON_NUM_THREADS` to limit its threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use hark_model::{Classifier, ModelConfig};

use crate::rng::SplitMix64;
use hark_infer::ModelWeights;

use crate::{Applied, Augmenter, LrSchedule, OptimizerConfig, TrainConfig, TrainError, WindowSet};

/// Statistics of one finished epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (class-weighted if enabled).
    pub train_loss: f32,
    /// Training accuracy (dropout on, so below the eval-mode accuracy).
    pub train_acc: f32,
    /// Validation loss (unweighted cross-entropy, eval mode), if a validation set was given.
    pub val_loss: Option<f32>,
    /// Validation window accuracy, if a validation set was given.
    pub val_acc: Option<f32>,
    /// Learning rate used in this epoch.
    pub lr: f64,
    /// Wall time of the epoch, training and validation.
    pub seconds: f32,
    /// Training throughput (windows per second of the training part).
    pub windows_per_sec: f32,
    /// Seconds of the epoch spent augmenting batches (0 without augmentation).
    pub augment_seconds: f32,
}

/// Receives progress from [`train`]; the CLI draws progress bars with it.
pub trait TrainObserver {
    /// Called after every epoch.
    fn on_epoch(&mut self, stats: &EpochStats);
    /// Called after every batch: `done` of `total` batches of this epoch.
    fn on_batch(&mut self, _done: usize, _total: usize) {}
    /// True when [`TrainObserver::on_augment`] should receive what augmentation applied.
    fn wants_augment_log(&self) -> bool {
        false
    }
    /// Called after every augmented batch with one record per example, when
    /// [`TrainObserver::wants_augment_log`] is true.
    fn on_augment(&mut self, _applied: &[Applied]) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoObserver;

impl TrainObserver for NoObserver {
    fn on_epoch(&mut self, _stats: &EpochStats) {}
}

/// Result of [`train`].
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// Weights of the best epoch (lowest validation loss; the last epoch without validation).
    pub weights: ModelWeights,
    /// One entry per finished epoch.
    pub history: Vec<EpochStats>,
    /// Epoch the weights come from (1-based; 0 when interrupted before any epoch ended).
    pub best_epoch: usize,
    /// True when `stop` was raised.
    pub interrupted: bool,
    /// Median training throughput over the finished epochs (windows per second).
    pub windows_per_sec: f32,
}

static TRAIN_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The device training runs on: Flex CPU, or CUDA with the `cuda` feature and `HARK_DEVICE=cuda`.
pub fn train_device() -> Device {
    #[cfg(feature = "cuda")]
    if std::env::var("HARK_DEVICE").is_ok_and(|v| v.eq_ignore_ascii_case("cuda")) {
        return Device::cuda(0);
    }
    Device::flex()
}

/// Train `model` on `train` windows, validating on `val` after every epoch.
///
/// Mini-batches are shuffled with a seeded RNG and weights are initialised from burn's RNG
/// seeded with `cfg.seed`, so the same inputs give the same model on the same machine.
/// `stop` is checked between batches: when raised, training ends and the best weights so far
/// are returned with `interrupted = true` (the current model if no epoch has finished).
///
/// Calls are serialised within a process (burn's random generator is global).
pub fn train(
    model: &ModelConfig,
    cfg: &TrainConfig,
    n_classes: usize,
    train: &WindowSet,
    val: Option<&WindowSet>,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<TrainOutcome, TrainError> {
    train_from(model, cfg, n_classes, train, val, None, observer, stop)
}

/// [`train`] with weights to start from: for a network, another model's weights of the same
/// architecture (every layer but the output layer, which is new: transfer learning; see
/// [`TrainConfig::freeze`]); for a classical model on another model's embedding
/// ([`hark_model::ClassicalInput::Embedding`]), the embedding model's weights.
/// Classical models ([`ModelConfig::is_classical`]) are fitted in one pass (one history
/// entry); `cfg`'s seed is kept, its epochs and optimiser do not apply, and augmentation or
/// class weights are refused.
#[allow(clippy::too_many_arguments)]
pub fn train_from(
    model: &ModelConfig,
    cfg: &TrainConfig,
    n_classes: usize,
    train: &WindowSet,
    val: Option<&WindowSet>,
    init: Option<&ModelWeights>,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<TrainOutcome, TrainError> {
    cfg.validate()?;
    train.validate(n_classes)?;
    if model.is_classical() {
        if !cfg.augment.is_off() {
            return Err(TrainError::BadSetting {
                name: "augment",
                reason: format!(
                    "{} is fitted in one pass on fixed features; augmentation applies to networks (sbcnn, stride-ds)",
                    model.arch_name()
                ),
            });
        }
        if cfg.class_weights {
            return Err(TrainError::BadSetting {
                name: "class_weights",
                reason: format!(
                    "{} is fitted without sample weights; class weighting applies to networks (sbcnn, stride-ds)",
                    model.arch_name()
                ),
            });
        }
        if let Some(v) = val {
            v.validate(n_classes)?;
        }
        return crate::classical::fit(model, n_classes, train, val, init, observer, stop);
    }
    // burn's backend RNG is process-global: one training at a time per process, so two
    // trainings (e.g. parallel tests) cannot interleave their seeded random draws.
    let _guard = TRAIN_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if train.len() < 2 {
        return Err(TrainError::BadData(format!(
            "need at least 2 training windows, got {}",
            train.len()
        )));
    }
    let val = val.filter(|v| !v.is_empty());
    if let Some(v) = val {
        v.validate(n_classes)?;
        if (v.n_mels, v.n_frames) != (train.n_mels, train.n_frames) {
            return Err(TrainError::InputShape {
                what: format!(
                    "validation windows of {}x{} like the training windows",
                    train.n_mels, train.n_frames
                ),
                expected: train.window_len(),
                actual: v.window_len(),
            });
        }
    }
    let (h, w) = (train.n_mels, train.n_frames);
    model.validate(h, w, n_classes)?;

    let plain = train_device();
    plain.seed(cfg.seed);
    let device = plain.clone().autodiff();
    let mut net: Classifier = model.init(h, w, n_classes, &device)?;
    if let Some(init) = init {
        net = start_from(net, init)?;
    }
    if !cfg.freeze.is_empty() {
        net = net.freeze(&cfg.freeze)?.0;
    }
    let mut optim = build_optimizer(&cfg.optimizer);
    let weights_per_class = class_weights(train, n_classes, cfg.class_weights);

    let mut rng = SplitMix64::new(cfg.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let n_batches = train.len().div_ceil(cfg.batch_size);
    let mut batch = Batch::new(cfg.batch_size, train.window_len(), n_classes);
    let mut augmenter = (!cfg.augment.is_off())
        .then(|| Augmenter::new(&cfg.augment, cfg.seed))
        .transpose()?;
    let mut applied = Vec::new();

    let mut history = Vec::new();
    let mut best: Option<(f32, usize, ModelWeights)> = None;
    let mut since_best = 0usize;
    let mut plateau = Plateau::new(cfg.optimizer.lr());
    let mut interrupted = false;

    'epochs: for epoch in 1..=cfg.epochs {
        let lr = match &cfg.lr_schedule {
            LrSchedule::Constant => cfg.optimizer.lr(),
            LrSchedule::Cosine => {
                let t = (epoch - 1) as f64 / cfg.epochs as f64;
                cfg.optimizer.lr() * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            LrSchedule::ReduceOnPlateau { .. } => plateau.lr,
        };
        let t0 = Instant::now();
        rng.shuffle(&mut order);
        let (mut loss_sum, mut loss_n, mut correct, mut seen) = (0f64, 0usize, 0usize, 0usize);
        let mut augment_seconds = 0f32;
        for (bi, idx) in order.chunks(cfg.batch_size).enumerate() {
            if stop.load(Ordering::Relaxed) {
                interrupted = true;
                break 'epochs;
            }
            if idx.len() < 2 {
                continue; // BatchNorm cannot normalise a single window
            }
            batch.fill(train, idx, &weights_per_class);
            if let Some(aug) = augmenter.as_mut() {
                let ta = Instant::now();
                let log = observer.wants_augment_log().then_some(&mut applied);
                aug.apply(epoch, train, idx, &mut batch.x, &mut batch.target, log);
                augment_seconds += ta.elapsed().as_secs_f32();
                if !applied.is_empty() {
                    observer.on_augment(&applied);
                    applied.clear();
                }
            }
            let x = batch.input(h, w, &device);
            let target = batch.target(&device);
            let logits = net.forward(x);
            let loss = log_softmax(logits.clone(), 1).mul(target).sum().neg();
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(lr, net, grads);
            loss_sum += f64::from(scalar(loss));
            loss_n += 1;
            correct += count_correct(&logits.into_data(), &batch.labels, n_classes);
            seen += idx.len();
            observer.on_batch(bi + 1, n_batches);
        }
        let train_secs = t0.elapsed().as_secs_f32();
        let (val_loss, val_acc) = match val {
            Some(v) => {
                let (l, a) = evaluate(&net.valid(), v, n_classes, cfg.batch_size.max(64), &plain);
                (Some(l), Some(a))
            }
            None => (None, None),
        };
        let train_loss = (loss_sum / loss_n.max(1) as f64) as f32;
        let stats = EpochStats {
            epoch,
            train_loss,
            train_acc: correct as f32 / seen.max(1) as f32,
            val_loss,
            val_acc,
            lr,
            seconds: t0.elapsed().as_secs_f32(),
            windows_per_sec: seen as f32 / train_secs.max(1e-9),
            augment_seconds,
        };
        observer.on_epoch(&stats);
        history.push(stats);

        let monitored = val_loss.unwrap_or(train_loss);
        if let LrSchedule::ReduceOnPlateau { factor, patience } = cfg.lr_schedule {
            plateau.update(monitored, factor, patience);
        }
        match (val_loss, &best) {
            (Some(vl), Some((b, _, _))) if vl >= *b => {
                since_best += 1;
                if cfg.patience.is_some_and(|p| since_best >= p) {
                    break;
                }
            }
            (Some(vl), _) => {
                best = Some((vl, epoch, ModelWeights::from_module(&net.valid())));
                since_best = 0;
            }
            (None, _) => best = Some((train_loss, epoch, ModelWeights::from_module(&net.valid()))),
        }
    }

    let (weights, best_epoch) = match best {
        Some((_, e, wts)) => (wts, e),
        None => (ModelWeights::from_module(&net.valid()), 0),
    };
    let mut rates: Vec<f32> = history.iter().map(|s| s.windows_per_sec).collect();
    rates.sort_by(f32::total_cmp);
    let windows_per_sec = rates.get(rates.len() / 2).copied().unwrap_or(0.0);
    Ok(TrainOutcome {
        weights,
        history,
        best_epoch,
        interrupted,
        windows_per_sec,
    })
}

fn build_optimizer(cfg: &OptimizerConfig) -> ModuleOptimizer {
    match *cfg {
        OptimizerConfig::Adam { weight_decay, .. } => AdamConfig::new()
            .with_weight_decay(weight_decay.map(WeightDecayConfig::new))
            .init(),
        OptimizerConfig::Sgd {
            momentum,
            nesterov,
            weight_decay,
            ..
        } => SgdConfig::new()
            .with_momentum(Some(MomentumConfig {
                momentum,
                dampening: 0.0,
                nesterov,
            }))
            .with_weight_decay(weight_decay.map(WeightDecayConfig::new))
            .init(),
    }
}

/// Per-class loss weights: `n / (n_classes * count)` (1 for all when disabled or for
/// classes absent from the training set).
fn class_weights(train: &WindowSet, n_classes: usize, enabled: bool) -> Vec<f32> {
    let counts = train.class_counts(n_classes);
    counts
        .iter()
        .map(|&c| {
            if enabled && c > 0 {
                train.len() as f32 / (n_classes as f32 * c as f32)
            } else {
                1.0
            }
        })
        .collect()
}

/// Reusable host buffers for one mini-batch.
struct Batch {
    x: Vec<f32>,
    target: Vec<f32>,
    labels: Vec<u32>,
    n_classes: usize,
}

impl Batch {
    fn new(batch: usize, window_len: usize, n_classes: usize) -> Self {
        Batch {
            x: Vec::with_capacity(batch * window_len),
            target: Vec::with_capacity(batch * n_classes),
            labels: Vec::with_capacity(batch),
            n_classes,
        }
    }

    /// Copy windows `idx` and build the loss target: one-hot rows scaled by the class weight
    /// and divided by the batch's total weight, so `-sum(target * log_softmax)` is the
    /// weighted mean cross-entropy.
    fn fill(&mut self, set: &WindowSet, idx: &[usize], class_w: &[f32]) {
        self.x.clear();
        self.target.clear();
        self.labels.clear();
        let total: f32 = idx.iter().map(|&i| class_w[set.labels[i] as usize]).sum();
        for &i in idx {
            self.x.extend_from_slice(set.window(i));
            let l = set.labels[i];
            self.labels.push(l);
            let row = self.target.len();
            self.target.resize(row + self.n_classes, 0.0);
            self.target[row + l as usize] = class_w[l as usize] / total;
        }
    }

    fn input(&self, h: usize, w: usize, device: &Device) -> Tensor<4> {
        let n = self.labels.len();
        Tensor::from_data(TensorData::new(self.x.clone(), [n, 1, h, w]), device)
    }

    fn target(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(self.target.clone(), [self.labels.len(), self.n_classes]),
            device,
        )
    }
}

fn scalar(t: Tensor<1>) -> f32 {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .ok()
        .and_then(|v| v.first().copied())
        .unwrap_or(f32::NAN)
}

/// Number of rows of `logits` ([n, n_classes]) whose arg-max equals the label.
fn count_correct(logits: &TensorData, labels: &[u32], n_classes: usize) -> usize {
    let Ok(v) = logits.clone().convert::<f32>().try_into_vec::<f32>() else {
        return 0;
    };
    v.chunks(n_classes)
        .zip(labels)
        .filter(|(row, l)| argmax(row) == **l as usize)
        .count()
}

pub(crate) fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |b, (i, &x)| if x > b.1 { (i, x) } else { b },
        )
        .0
}

/// Unweighted mean cross-entropy and accuracy of an eval-mode model on `set`.
fn evaluate(
    net: &Classifier,
    set: &WindowSet,
    n_classes: usize,
    batch: usize,
    device: &Device,
) -> (f32, f32) {
    let (h, w) = (set.n_mels, set.n_frames);
    let (mut loss, mut correct) = (0f64, 0usize);
    let idx: Vec<usize> = (0..set.len()).collect();
    let uniform = vec![1.0; n_classes];
    let mut b = Batch::new(batch, set.window_len(), n_classes);
    for chunk in idx.chunks(batch) {
        b.fill(set, chunk, &uniform);
        let logits = net.forward(b.input(h, w, device));
        let l = log_softmax(logits.clone(), 1)
            .mul(b.target(device))
            .sum()
            .neg();
        loss += f64::from(scalar(l)) * chunk.len() as f64;
        correct += count_correct(&logits.into_data(), &b.labels, n_classes);
    }
    (
        (loss / set.len() as f64) as f32,
        correct as f32 / set.len() as f32,
    )
}

/// ReduceOnPlateau state.
struct Plateau {
    lr: f64,
    best: f32,
    bad: usize,
}

impl Plateau {
    fn new(lr: f64) -> Self {
        Plateau {
            lr,
            best: f32::INFINITY,
            bad: 0,
        }
    }

    fn update(&mut self, loss: f32, factor: f64, patience: usize) {
        if loss < self.best {
            self.best = loss;
            self.bad = 0;
        } else {
            self.bad += 1;
            if self.bad >= patience.max(1) {
                self.lr *= factor;
                self.bad = 0;
            }
        }
    }
}

/// `net` with `init`'s tensors, except the output layer's (a new one for the new classes):
/// transfer learning. Every other tensor must be in `init` with the same shape; an error lists
/// a mismatched tensor with both shapes, or the missing and unused ones.
fn start_from(net: Classifier, init: &ModelWeights) -> Result<Classifier, TrainError> {
    let head: Vec<String> = net
        .plan()
        .layers
        .last()
        .map(|l| l.params().into_iter().map(|p| p.name).collect())
        .unwrap_or_default();
    let by_name: std::collections::HashMap<&str, &hark_infer::NamedTensor> =
        init.tensors.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut weights = ModelWeights::from_module(&net);
    let mut missing = Vec::new();
    for t in weights
        .tensors
        .iter_mut()
        .filter(|t| !head.contains(&t.name))
    {
        match by_name.get(t.name.as_str()) {
            Some(src) if src.shape == t.shape => t.data.clone_from(&src.data),
            Some(src) => {
                return Err(TrainError::BadData(format!(
                    "the starting model's tensor `{}` has shape {:?}, this model's has {:?}",
                    t.name, src.shape, t.shape
                )));
            }
            None => missing.push(t.name.clone()),
        }
    }
    let known: Vec<&str> = weights.tensors.iter().map(|t| t.name.as_str()).collect();
    let unused: Vec<&str> = init
        .tensors
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| !known.contains(n))
        .collect();
    if !missing.is_empty() || !unused.is_empty() {
        return Err(TrainError::BadData(format!(
            "the starting model does not have this architecture: missing tensors [{}], unused tensors [{}]",
            missing.join(", "),
            unused.join(", ")
        )));
    }
    Ok(weights.apply_to(net)?)
}
