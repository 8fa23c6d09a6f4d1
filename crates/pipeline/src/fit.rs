//! Fit a dataset into a complete model file (train protocol): windows of the partition's
//! training and validation clips -> the training loop -> a [`ModelFile`] carrying the
//! architecture, feature settings, classes, decision settings, held-out record and summary.

use std::sync::atomic::AtomicBool;

use hark_data::{Dataset, FeatureSet};
use hark_eval::Metrics;
use hark_infer::{
    Aggregation, DecisionConfig, ModelFile, ModelMeta, Predictor, TrainingSummary, utc_now,
};
use hark_model::ModelConfig;
use hark_train::{EpochStats, TrainConfig, TrainObserver};

use crate::{
    Partition, PipelineError, held_out_record, metrics_for, predict_clips, training_windows,
};

/// Model and training settings. `Default` trains exactly as `hark train` does without flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitOptions {
    /// Architecture. Default SB-CNN.
    pub model: ModelConfig,
    /// Training loop settings. Default [`TrainConfig::default`].
    pub train: TrainConfig,
    /// Window pooling stored for clip decisions. Default mean.
    pub aggregation: Aggregation,
}

/// Everything one training run produces.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The complete model file (not yet saved).
    pub file: ModelFile,
    /// One entry per finished epoch.
    pub history: Vec<EpochStats>,
    /// Clip-level metrics on the validation clips, when there were any.
    pub val_metrics: Option<Metrics>,
    /// Training and validation windows used.
    pub windows: (usize, usize),
    /// Training or validation clips left out because they were entirely silent.
    pub silent_clips: usize,
    /// True when `stop` was raised after at least one epoch: the file holds the best epoch so
    /// far. (Raised before any epoch finished, [`fit`] returns
    /// [`PipelineError::Interrupted`] instead of an untrained model.)
    pub interrupted: bool,
}

/// Train on `part.train`, early-stop on `part.val`, and build the model file.
///
/// `observer` sees every batch and epoch; `stop` is polled between batches.
pub fn fit(
    ds: &Dataset,
    fs: &FeatureSet,
    part: &Partition,
    opts: &FitOptions,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<Trained, PipelineError> {
    let cfg = &fs.config;
    let classes = ds.classes.clone();
    let train = training_windows(ds, fs, &part.train, &classes)?;
    let val = training_windows(ds, fs, &part.val, &classes)?;
    if train.set.is_empty() {
        return Err(PipelineError::NoClips {
            what: "to train on: every training clip failed to decode or was silent".into(),
        });
    }
    let outcome = hark_train::train(
        &opts.model,
        &opts.train,
        classes.len(),
        &train.set,
        (!val.set.is_empty()).then_some(&val.set),
        observer,
        stop,
    )?;
    if outcome.interrupted && outcome.best_epoch == 0 {
        return Err(PipelineError::Interrupted);
    }
    let decision = DecisionConfig {
        aggregation: opts.aggregation,
        ..DecisionConfig::default()
    };
    let silent_clips = train.silent_clips.len() + val.silent_clips.len();
    let training = TrainingSummary {
        epochs: outcome.history.len(),
        best_epoch: outcome.best_epoch,
        val_acc: outcome
            .history
            .iter()
            .find(|s| s.epoch == outcome.best_epoch)
            .and_then(|s| s.val_acc),
        dataset: ds.name.clone(),
        seed: opts.train.seed,
        date: utc_now(),
        hark_version: env!("CARGO_PKG_VERSION").to_string(),
        train_config: serde_json::to_value(&opts.train).ok(),
        silent_clips,
    };
    let file = ModelFile {
        meta: ModelMeta {
            model: opts.model.clone(),
            features: cfg.clone(),
            class_names: classes,
            decision,
            input_shape: [1, cfg.n_mels, cfg.window_frames],
            held_out: held_out_record(ds, part),
            training,
        },
        weights: outcome.weights,
    };
    let val_metrics = if part.val.is_empty() {
        None
    } else {
        let predictor = Predictor::new(&file)?;
        let preds = predict_clips(&predictor, fs, &part.val, &decision)?;
        Some(metrics_for(ds, &file.meta.class_names, &preds)?)
    };
    Ok(Trained {
        file,
        history: outcome.history,
        val_metrics,
        windows: (train.set.len(), val.set.len()),
        silent_clips,
        interrupted: outcome.interrupted,
    })
}
