//! hark-model: the CNN architectures that turn log-mel windows into class logits.
//!
//! Flow: audio -> features -> **model** -> train/eval -> predict/stream -> export.
//!
//! No I/O lives here. A [`ModelConfig`] (serde, tagged by `arch`) describes an
//! architecture; [`ModelConfig::init`] builds a burn [`Classifier`] for a given input
//! shape `[batch, 1, n_mels, frames]` and number of classes; [`summary`] computes the
//! parameter count and multiply-accumulate cost analytically, from the same layer plan
//! that [`ModelConfig::init`] uses.
//!
//! Models are written with plain burn tensor ops, so they run on any device burn was
//! built for (Flex CPU by default; `Device::flex().autodiff()` for training).
//! Training-time behaviour (dropout, BatchNorm batch statistics) is active only when the
//! input lives on an autodiff device and the module is in training mode; on a plain
//! device, or after [`burn::module::Module::valid`], the model is in inference mode.

mod error;
mod layers;
pub mod sbcnn;
pub mod stride_ds;
pub mod summary;

pub use burn;
pub use error::ModelError;
pub use sbcnn::{SbCnn, SbCnnConfig};
pub use stride_ds::{StrideDs, StrideDsConfig};
pub use summary::{LayerSummary, ModelSummary, summary};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
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
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::SbCnn(SbCnnConfig::default())
    }
}

impl ModelConfig {
    /// Short architecture name (`"sb_cnn"`, `"stride_ds"`).
    pub fn arch_name(&self) -> &'static str {
        match self {
            ModelConfig::SbCnn(_) => "sb_cnn",
            ModelConfig::StrideDs(_) => "stride_ds",
        }
    }

    /// Check the settings against an input of `n_mels x frames` and `n_classes` outputs.
    pub fn validate(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<(), ModelError> {
        summary(self, n_mels, frames, n_classes).map(|_| ())
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
        Ok(match self {
            ModelConfig::SbCnn(c) => Classifier::SbCnn(c.init(n_mels, frames, n_classes, device)?),
            ModelConfig::StrideDs(c) => {
                Classifier::StrideDs(c.init(n_mels, frames, n_classes, device)?)
            }
        })
    }
}

/// A built model of any architecture: a burn [`Module`].
// One model lives per training/prediction job, so the size difference between variants
// costs nothing; boxing would hide the modules from burn's derive.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Classifier {
    /// SB-CNN.
    SbCnn(SbCnn),
    /// Stride-DS.
    StrideDs(StrideDs),
}

impl Classifier {
    /// Logits for a batch of windows.
    ///
    /// # Shapes
    /// - `x`: `[batch, 1, n_mels, frames]` (the shape given to [`ModelConfig::init`])
    /// - output: `[batch, n_classes]` (unnormalised; apply softmax for probabilities)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        match self {
            Classifier::SbCnn(m) => m.forward(x),
            Classifier::StrideDs(m) => m.forward(x),
        }
    }
}
