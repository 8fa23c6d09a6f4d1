//! Analytical model cost: parameters, multiply-accumulates and weight memory (model stage),
//! for choosing a model that fits a device before training it.

use serde::{Deserialize, Serialize};

use crate::{ModelConfig, ModelError};

/// One layer of a [`ModelSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSummary {
    /// Layer name, matching the module path where it has weights (e.g. `block1.conv`).
    pub name: String,
    /// Output shape per window `[channels, height, width]` (`[features, 1, 1]` after flatten).
    pub output_shape: [usize; 3],
    /// Trainable parameters.
    pub params: usize,
    /// Multiply-accumulates per window.
    pub macs: usize,
}

/// Cost of a model for one input window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Trainable parameters (weights, biases, BatchNorm scale/shift).
    pub params: usize,
    /// Non-trainable stored values (BatchNorm running mean/variance). burn's
    /// `Module::num_params()` counts these too: it equals `params + buffers`.
    pub buffers: usize,
    /// Multiply-accumulates per window (convolutions and dense layers).
    pub macs_per_window: usize,
    /// Bytes of all stored values as f32: `4 * (params + buffers)`.
    pub weight_bytes: usize,
    /// Largest activation (values per window) any layer outputs; a lower bound on RAM use.
    pub max_activation: usize,
    /// Per-layer breakdown, in forward order.
    pub layers: Vec<LayerSummary>,
}

/// Cost of `config` for an `n_mels x frames` input and `n_classes` outputs.
pub fn summary(
    config: &ModelConfig,
    n_mels: usize,
    frames: usize,
    n_classes: usize,
) -> Result<ModelSummary, ModelError> {
    let plan = match config {
        ModelConfig::SbCnn(c) => c.plan(n_mels, frames, n_classes)?,
        ModelConfig::StrideDs(c) => c.plan(n_mels, frames, n_classes)?,
    };
    let params = plan.iter().map(|l| l.params()).sum();
    let buffers: usize = plan.iter().map(|l| l.buffers()).sum();
    let macs_per_window = plan.iter().map(|l| l.macs()).sum();
    let max_activation = plan
        .iter()
        .map(|l| l.out.iter().product::<usize>())
        .max()
        .unwrap_or(0);
    let layers = plan
        .iter()
        .map(|l| LayerSummary {
            name: l.name.clone(),
            output_shape: l.out,
            params: l.params(),
            macs: l.macs(),
        })
        .collect();
    Ok(ModelSummary {
        params,
        buffers,
        macs_per_window,
        weight_bytes: 4 * (params + buffers),
        max_activation,
        layers,
    })
}
