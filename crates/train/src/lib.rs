//! hark-train: the training loop (the model file and prediction live in hark-infer).
//!
//! Flow: audio -> features -> model -> **train/eval** -> predict/stream -> export.
//!
//! - [`WindowSet`]: feature windows in memory, with labels and clip ids.
//! - [`train`] with a [`TrainConfig`]: seeded, early-stopping training returning the best
//!   [`hark_infer::ModelWeights`] and the epoch history ([`write_history_csv`], [`render_history_png`]).
//! - [`classical`]: logistic regression (linfa) on log-mel statistics or another model's
//!   embedding, fitted in one pass into an ordinary model file.
//! - [`AugmentConfig`]: SpecAugment masks and mixup applied per batch ([`Augmenter`]).
//! - [`stratified_split`]: the one seeded, stratified hold-out split every caller uses.
//!
//! Training runs burn with autodiff and optimisers; the resulting weights go into a
//! [`hark_infer::ModelFile`], which needs neither.
//!
//! Threads: the Flex CPU backend uses rayon; `RAYON_NUM_THREADS` limits it.

mod augment;
pub mod classical;
mod config;
mod error;
mod fit;
mod history;
mod rng;
mod split;
mod windows;

pub use augment::{Applied, AugmentConfig, Augmenter, FreqMask, Mixed, Mixup, TimeMask};
pub use config::{LrSchedule, OptimizerConfig, TrainConfig};
pub use error::TrainError;
pub use fit::{
    EpochStats, NoObserver, TrainObserver, TrainOutcome, train, train_device, train_from,
};
pub use history::{HISTORY_CSV_HEADER, render_history_png, write_history_csv};
pub use split::{grouped_kfold, stratified_kfold, stratified_split};
pub use windows::WindowSet;
