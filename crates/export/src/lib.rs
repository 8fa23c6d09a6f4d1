//! hark-export: a trained model file as files other runtimes load.
//!
//! Flow: audio -> features -> model -> train/eval -> predict/stream -> **export**. The
//! exporters read the plan engine's compiled steps ([`hark_infer::PlanEngine::steps`]):
//! BatchNorm is folded into the convolutions exactly as `hark predict` runs them, so the
//! exported model computes the numbers hark computes. The feature configuration travels
//! with every export, because the model is only right on the windows it was trained on.
//!
//! - [`c`]: a C99 library for microcontrollers: the front end from samples to log-mel
//!   windows and the network, static buffers only, with its flash, RAM and MAC budget.
//! - [`int8`]: post-training int8 quantisation of the network for the C export, and the
//!   integer reference the generated C must match bit for bit.
//! - [`onnx`]: an ONNX file (opset 18, dynamic batch, logits and probabilities, labels and
//!   feature settings in its metadata) for onnxruntime, tract, TensorRT and friends.

pub mod c;
pub mod int8;
pub mod onnx;

use hark_infer::InferError;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The model file's plan or weights could not be compiled; re-train or re-save the model
    /// with this version of hark.
    #[error("the model cannot be compiled for export (re-save it with this hark: `hark train`)")]
    Model(#[from] InferError),
    /// Metadata could not be written as JSON (a bug: please report it).
    #[error("cannot write the model's metadata as JSON (a bug in hark: please report it)")]
    Json(#[from] serde_json::Error),
    /// int8 calibration windows are missing or unusable: give more, or other, training audio.
    #[error("cannot calibrate int8 quantisation: {0}")]
    Calibration(String),
    /// The compiled model has a step this exporter has no operator for.
    #[error("{format} export cannot write {step}")]
    Unsupported {
        /// Target format.
        format: &'static str,
        /// The step.
        step: String,
    },
}
