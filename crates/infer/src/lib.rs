//! hark-infer: the inference core — the model file, window prediction and embeddings, and
//! clip decisions.
//!
//! Flow: audio -> features -> model -> train/eval -> **predict/stream -> export**. Everything
//! that runs a trained model (predict, stream, eval, export, embed) starts here, and so does
//! training, which writes what this crate reads. It depends on the model architectures and
//! the feature configuration only: no autodiff, no optimisers, no user interface.
//!
//! - [`ModelFile`]: weights + [`ModelMeta`] (architecture, [`hark_features::FeatureConfig`],
//!   class names, [`DecisionConfig`], [`HeldOut`] record) in one safetensors file, read
//!   strictly and written atomically.
//! - [`Predictor`]: softmax probabilities ([`Predictor::predict`]) or penultimate-layer
//!   embeddings ([`Predictor::embed`]) per window, from the model's public layer plan.
//! - [`decision`]: window probabilities -> clip [`Decision`]: a class, `unknown` or `silent`.
//! - [`events`]: window probabilities over time -> [`Event`]s with start and end times.
//! - [`scan`]: [`Scanner`], all of the above over recordings of any length and live streams,
//!   at constant memory.
//!
//! ```no_run
//! use hark_infer::{ModelFile, Predictor};
//! let file = ModelFile::load("model.hark".as_ref())?;
//! let predictor = Predictor::new(&file)?;
//! let (mels, frames) = predictor.window_shape();
//! let window = vec![0.0f32; mels * frames]; // one normalised log-mel window
//! let probs = predictor.predict(&window, 1)?;
//! let d = file.meta.decision.decide_windows(&probs, predictor.n_classes());
//! println!("{}", d.outcome().name(&file.meta.class_names));
//! # Ok::<(), hark_infer::InferError>(())
//! ```

pub mod decision;
pub mod engine;
mod error;
pub mod events;
mod held_out;
mod migrate;
mod model_file;
mod pool;
mod predict;
mod profile;
pub mod scan;
mod weights;

pub use decision::{
    Aggregation, Decision, DecisionConfig, Outcome, SILENT, UNKNOWN, aggregate, aggregate_into,
    argmax, decide,
};
pub use engine::{KERNELS_ENV, PlanEngine, Step, Workspace};
pub use error::InferError;
pub use events::{Event, EventConfig, EventTracker, Smoothing, detect_events};
pub use held_out::{ClipKey, HeldOut, Overlap, dataset_fingerprint};
pub use model_file::{FORMAT_NAME, FORMAT_VERSION, ModelFile, ModelMeta, TrainingSummary, utc_now};
pub use pool::ClipPool;
pub use predict::{ClipDecision, PREDICT_BATCH, Predictor};
pub use profile::{
    BANDWIDTH_SHARE, InputProfile, InputStats, LEVEL_MARGIN_DB, LONG_FACTOR, SHORT_FACTOR, Spread,
};
pub use scan::{SCAN_BATCH, ScanConfig, ScanOutput, ScanSummary, Scanner, WindowInfo};
pub use weights::{ModelWeights, NamedTensor};
