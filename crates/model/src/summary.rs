//! Analytical model cost: parameters, multiply-accumulates and weight memory (model stage),
//! for choosing a model that fits a device before training it.

use serde::{Deserialize, Serialize};

use crate::{LayerPlan, ModelConfig, ModelError};

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
    Ok(summary_of(&config.plan(n_mels, frames, n_classes)?))
}

/// Cost of an already laid-out model.
pub fn summary_of(plan: &LayerPlan) -> ModelSummary {
    let layers = &plan.layers;
    let params = layers.iter().map(|l| l.trainable_params()).sum();
    let buffers: usize = layers.iter().map(|l| l.buffers()).sum();
    let macs_per_window = layers.iter().map(|l| l.macs()).sum();
    let max_activation = layers
        .iter()
        .map(|l| l.output.iter().product::<usize>())
        .max()
        .unwrap_or(0);
    let layers = layers
        .iter()
        .map(|l| LayerSummary {
            name: l.name.clone(),
            output_shape: l.output,
            params: l.trainable_params(),
            macs: l.macs(),
        })
        .collect();
    ModelSummary {
        params,
        buffers,
        macs_per_window,
        weight_bytes: 4 * (params + buffers),
        max_activation,
        layers,
    }
}
