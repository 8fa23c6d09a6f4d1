//! Fit a dataset into a complete model file (train protocol): windows of the partition's
//! training and validation clips -> the training loop -> a [`ModelFile`] carrying the
//! architecture, feature settings, classes, decision settings, held-out record and summary.

use std::sync::atomic::AtomicBool;

use hark_data::{Dataset, FeatureSet};
use hark_eval::{Metrics, ThresholdPoint};
use hark_infer::{
    Aggregation, DecisionConfig, ModelFile, ModelMeta, ModelWeights, Predictor, TrainingSummary,
    utc_now,
};
use hark_model::ModelConfig;
use hark_train::{EpochStats, TrainConfig, TrainObserver};

use crate::evaluate::sweep_of;
use crate::{
    Partition, PipelineError, held_out_record, input_profile, metrics_for, predict_clips,
    training_windows,
};

/// Default [`ThresholdRule::target_precision`]: answers at least 90% right on the validation
/// clips.
pub const DEFAULT_TARGET_PRECISION: f32 = 0.9;
/// Default [`ThresholdRule::keep_correct`]: at most 5% of the right validation answers lost to
/// "unknown".
pub const DEFAULT_KEEP_CORRECT: f32 = 0.95;

/// How `fit` chooses the stored "unknown" threshold on the validation clips: the higher of
/// - the lowest threshold at which the answered validation clips reach `target_precision`
///   ([`hark_eval::pick_threshold`]), and
/// - the highest threshold that still answers `keep_correct` of the validation clips the model
///   got right ([`hark_eval::keep_threshold`]): inputs less confident than nearly every right
///   answer in validation, as out-of-distribution audio tends to be, become "unknown".
///
/// A model already precise on its validation clips gets the second (it loses at most
/// `1 - keep_correct` of its right answers); an imprecise one gets the first, which may leave
/// many clips "unknown", as the target asks. Measured on FSDD and ESC-10 in RESULTS.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdRule {
    /// Precision the answered validation clips must reach. Default
    /// [`DEFAULT_TARGET_PRECISION`].
    pub target_precision: f32,
    /// Share of right validation answers kept. Default [`DEFAULT_KEEP_CORRECT`].
    pub keep_correct: f32,
}

impl Default for ThresholdRule {
    fn default() -> ThresholdRule {
        ThresholdRule {
            target_precision: DEFAULT_TARGET_PRECISION,
            keep_correct: DEFAULT_KEEP_CORRECT,
        }
    }
}

/// Model and training settings. `Default` trains exactly as `hark train` does without flags.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Architecture. Default SB-CNN.
    pub model: ModelConfig,
    /// Training loop settings. Default [`TrainConfig::default`].
    pub train: TrainConfig,
    /// Weights to start from: for logistic regression on another model's embedding
    /// ([`hark_model::ClassicalInput::Embedding`]), that model's weights. Default none.
    pub init: Option<ModelWeights>,
    /// Window pooling stored for clip decisions. Default mean.
    pub aggregation: Aggregation,
    /// How the stored unknown-threshold is chosen on the validation clips; `None` stores no
    /// threshold (every clip answered). Default [`ThresholdRule::default`].
    pub threshold: Option<ThresholdRule>,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            model: ModelConfig::default(),
            train: TrainConfig::default(),
            init: None,
            aggregation: Aggregation::default(),
            threshold: Some(ThresholdRule::default()),
        }
    }
}

/// How the stored unknown-threshold was chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tuning {
    /// No threshold was asked for: none stored.
    Off,
    /// No validation clip had a usable prediction: no threshold stored.
    NoValidation,
    /// No threshold reaches the target on the validation clips: no threshold stored.
    Unreachable {
        /// The precision asked for.
        target: f32,
    },
    /// Stored: chosen by `rule` on `clips` validation clips, answering `coverage` of them.
    Chosen {
        /// The rule it was chosen by.
        rule: ThresholdRule,
        /// The threshold stored.
        threshold: f32,
        /// Share of the validation clips answered at it.
        coverage: f32,
        /// Precision reached on them.
        precision: f32,
        /// Validation clips it was chosen on.
        clips: usize,
    },
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
    /// How the stored unknown-threshold was chosen.
    pub tuning: Tuning,
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
    let outcome = hark_train::train_from(
        &opts.model,
        &opts.train,
        classes.len(),
        &train.set,
        (!val.set.is_empty()).then_some(&val.set),
        opts.init.as_ref(),
        observer,
        stop,
    )?;
    if outcome.interrupted && outcome.best_epoch == 0 {
        return Err(PipelineError::Interrupted);
    }
    let mut decision = DecisionConfig {
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
    let mut file = ModelFile {
        meta: ModelMeta {
            model: opts.model.clone(),
            features: cfg.clone(),
            class_names: classes,
            decision,
            input_shape: [1, cfg.n_mels, cfg.window_frames],
            held_out: held_out_record(ds, part),
            training,
            input_profile: Some(input_profile(ds, fs, &part.train)),
        },
        weights: outcome.weights,
    };
    let (val_metrics, tuning) = if part.val.is_empty() {
        (
            None,
            opts.threshold.map_or(Tuning::Off, |_| Tuning::NoValidation),
        )
    } else {
        // Validation clips are decided without a threshold (every clip answered); the
        // threshold is then chosen on the same predictions.
        let predictor = Predictor::new(&file)?;
        let preds = predict_clips(&predictor, fs, &part.val, &decision)?;
        let classes = &file.meta.class_names;
        let tuning = match opts.threshold {
            None => Tuning::Off,
            Some(_) if preds.iter().all(|p| p.decision.silent) => Tuning::NoValidation,
            Some(rule) => choose_threshold(&sweep_of(ds, classes, &preds)?, rule),
        };
        (Some(metrics_for(ds, classes, &preds)?), tuning)
    };
    if let Tuning::Chosen { threshold, .. } = tuning {
        decision.threshold = Some(threshold);
        decision.tuned_for = Some(decision.aggregation);
        file.meta.decision = decision;
    }
    Ok(Trained {
        file,
        history: outcome.history,
        val_metrics,
        windows: (train.set.len(), val.set.len()),
        silent_clips,
        tuning,
        interrupted: outcome.interrupted,
    })
}

/// The threshold `rule` picks from a precision/coverage sweep of the validation clips
/// (see [`ThresholdRule`]), or why there is none.
fn choose_threshold(sweep: &[ThresholdPoint], rule: ThresholdRule) -> Tuning {
    let Some(precise) = hark_eval::pick_threshold(sweep, rule.target_precision) else {
        return Tuning::Unreachable {
            target: rule.target_precision,
        };
    };
    let t = hark_eval::keep_threshold(sweep, rule.keep_correct)
        .map_or(precise, |keep| keep.max(precise));
    let p = sweep
        .iter()
        .find(|p| p.threshold == t)
        .expect("both thresholds come from the sweep");
    Tuning::Chosen {
        rule,
        threshold: t,
        coverage: p.coverage,
        precision: p.precision,
        clips: sweep.first().map_or(0, |p| p.answered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten clips, top probability and whether the model was right (hand-made): the wrong
    /// answers sit at 0.5 and 0.95, so precision is not monotonic in the threshold.
    fn sweep() -> Vec<ThresholdPoint> {
        let tops = [0.35f32, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99];
        let wrong = [0.5f32, 0.95];
        // Three classes: class 0 is the arg-max with probability `t` for every t > 1/3.
        let probs: Vec<Vec<f32>> = tops
            .iter()
            .map(|&t| vec![t, (1.0 - t) / 2.0, (1.0 - t) / 2.0])
            .collect();
        let truth: Vec<usize> = tops
            .iter()
            .map(|t| usize::from(wrong.contains(t)))
            .collect();
        hark_eval::threshold_sweep(&probs, &truth).expect("sweep")
    }

    fn chosen(t: Tuning) -> f32 {
        match t {
            Tuning::Chosen { threshold, .. } => threshold,
            other => panic!("no threshold: {other:?}"),
        }
    }

    #[test]
    fn the_higher_of_the_precision_and_the_keep_thresholds_is_stored() {
        let s = sweep();
        // 8 of 10 right: precision 0.8 holds from the lowest threshold; keeping 7 of the 8
        // right answers (87.5%) allows dropping only the 0.35 one.
        let rule = ThresholdRule {
            target_precision: 0.8,
            keep_correct: 0.875,
        };
        assert_eq!(chosen(choose_threshold(&s, rule)), 0.4);
        // Precision 6/7 = 0.857 first holds at 0.6 (0.4 gives 7/9 = 0.78), above the keep rule.
        let rule = ThresholdRule {
            target_precision: 0.85,
            keep_correct: 0.875,
        };
        let t = choose_threshold(&s, rule);
        assert_eq!(chosen(t), 0.6);
        let Tuning::Chosen {
            coverage,
            precision,
            clips,
            ..
        } = t
        else {
            unreachable!()
        };
        assert_eq!((coverage, clips), (0.7, 10));
        assert!((precision - 6.0 / 7.0).abs() < 1e-6);
        // Keeping only half of the right answers moves it up to the 4th-best right answer.
        let rule = ThresholdRule {
            target_precision: 0.5,
            keep_correct: 0.5,
        };
        assert_eq!(chosen(choose_threshold(&s, rule)), 0.8);
        let rule = ThresholdRule {
            target_precision: 1.01,
            keep_correct: 0.5,
        };
        assert_eq!(
            choose_threshold(&s, rule),
            Tuning::Unreachable { target: 1.01 }
        );
    }
}
