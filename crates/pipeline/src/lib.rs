//! hark-pipeline: the protocols that decide every reported accuracy, as a library —
//! partitioning a dataset, turning features into training windows, fitting a dataset into a
//! complete model file, evaluating a model on held-out clips (with a row per clip and pictures
//! of the mistakes for the report), cross-validation, and sound event detection on long
//! recordings with label tracks ([`evaluate_recordings`]).
//!
//! Flow: audio -> features -> model -> **train/eval** -> predict/stream -> export. This
//! crate joins hark-data (datasets, cached features), hark-train (the training loop),
//! hark-infer (model file, prediction, decisions) and hark-eval (metrics). It has no user
//! interface: progress reaches the caller through observers, messages through return values.
//! The `hark` binary is a thin layer over it; Rust users call it directly:
//!
//! ```no_run
//! use hark_pipeline::{FitOptions, PartitionOptions, fit, partition, predict_clips};
//! let ds = hark_data::open("my-dataset".as_ref())?;
//! let fs = hark_data::extract(&ds, &hark_features::FeatureConfig::default(), &Default::default())?;
//! let part = partition(&ds, &PartitionOptions::default())?;
//! let opts = FitOptions::default();
//! let trained = fit(&ds, &fs, &part, &opts, &mut hark_train::NoObserver, &Default::default())?;
//! trained.file.save("model.hark".as_ref())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clips;
mod cv;
mod error;
mod evaluate;
mod fit;
mod partition;
mod profile;
mod recordings;
mod windows;

pub use clips::{MISTAKE_PICTURE_SIZE, clip_rows, mistake_pictures};
pub use cv::{CvFold, CvOptions, FoldResult, FoldScheme, cv_folds, cv_partition, run_fold};
pub use error::PipelineError;
pub use evaluate::{
    ClipPrediction, Evaluation, evaluate, foreign_labels_message, metrics_for, predict_clips,
    select_eval_clips, tune_threshold, validation_clips,
};
pub use fit::{
    DEFAULT_KEEP_CORRECT, DEFAULT_TARGET_PRECISION, FitOptions, ThresholdRule, Trained, Tuning, fit,
};
pub use partition::{Partition, PartitionOptions, clip_key, held_out_record, partition};
pub use profile::input_profile;
pub use recordings::{
    RecordingEval, ScoredRecording, add_empty_tracks, default_onsets, evaluate_recordings,
    reference_events, score_recording, score_recording_with,
};
pub use windows::{TrainingWindows, training_windows};
