//! hark-model: the CNN architectures that turn log-mel windows into class logits.
//!
//! Flow: audio -> features -> **model** -> train/eval -> predict/stream -> export.
//!
//! No I/O lives here. A [`ModelConfig`] (serde, tagged by `arch`) describes an
//! architecture; [`ModelConfig::plan`] lays it out for an input shape
//! `[batch, 1, n_mels, frames]` and a class count as a public [`LayerPlan`] (every layer's
//! kind, settings, output shape and parameter names). That one plan drives the forward
//! pass ([`Classifier::forward`], [`Classifier::embed`]), the analytic [`summary`], and
//! every exporter or custom kernel that needs the architecture.
//!
//! This crate needs no autodiff or optimiser: models are plain burn modules that run on
//! any device burn was built for (Flex CPU by default). Training (hark-train) runs them on
//! an autodiff device; training-time behaviour (dropout, BatchNorm batch statistics) is
//! active only there and in training mode; after [`burn::module::Module::valid`], or on a
//! plain device, the model is in inference mode.

pub mod classical;
mod classifier;
mod error;
pub mod plan;
pub mod sbcnn;
pub mod stride_ds;
pub mod summary;

pub use burn;
pub use classical::{ClassicalConfig, ClassicalInput, ClassicalMethod};
pub use classifier::Classifier;
pub use error::ModelError;
pub use plan::{Layer, LayerPlan, Op, ParamOwner, ParamSpec};
pub use sbcnn::SbCnnConfig;
pub use stride_ds::StrideDsConfig;
pub use summary::{LayerSummary, ModelSummary, summary, summary_of};

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// Which architecture to build, with its settings. Serialised with an `arch` tag:
/// `{"arch": "sb_cnn", "filters": [24, 48, 48], ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelConfig {
    /// SB-CNN (Salamon & Bello 2016). The default.
    SbCnn(SbCnnConfig),
    /// Strided depthwise-separable CNN for microcontrollers (Nordby 2019).
    StrideDs(StrideDsConfig),
    /// Log-mel statistics or another model's embedding + logistic regression, fitted by
    /// hark-train's classical fit.
    Classical(ClassicalConfig),
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::SbCnn(SbCnnConfig::default())
    }
}

impl ModelConfig {
    /// True for architectures fitted by a classical method rather than trained by gradient
    /// descent.
    pub fn is_classical(&self) -> bool {
        matches!(self, ModelConfig::Classical(_))
    }

    /// Short architecture name as people type it (`"sbcnn"`, `"stride-ds"`, `"logreg"`: the values of
    /// `hark train --model`). The model file's JSON keeps its serde tag (`"sb_cnn"`).
    pub fn arch_name(&self) -> &'static str {
        match self {
            ModelConfig::SbCnn(_) => "sbcnn",
            ModelConfig::StrideDs(_) => "stride-ds",
            ModelConfig::Classical(c) => c.method.name(),
        }
    }

    /// Lay the architecture out for an `n_mels x frames` input and `n_classes` outputs.
    pub fn plan(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<LayerPlan, ModelError> {
        match self {
            ModelConfig::SbCnn(c) => c.plan(n_mels, frames, n_classes),
            ModelConfig::StrideDs(c) => c.plan(n_mels, frames, n_classes),
            ModelConfig::Classical(c) => c.plan(n_mels, frames, n_classes),
        }
    }

    /// Check the settings against an input of `n_mels x frames` and `n_classes` outputs.
    pub fn validate(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<(), ModelError> {
        self.plan(n_mels, frames, n_classes).map(|_| ())
    }

    /// Build a freshly initialised classifier on `device`.
    ///
    /// Input of the returned model: `[batch, 1, n_mels, frames]`; output: `[batch, n_classes]`
    /// logits. Weight initialisation draws from the device's RNG: call `device.seed(..)`
    /// first for reproducible weights.
    pub fn init(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
        device: &Device,
    ) -> Result<Classifier, ModelError> {
        Ok(Classifier::from_plan(
            self.plan(n_mels, frames, n_classes)?,
            device,
        ))
    }
}
