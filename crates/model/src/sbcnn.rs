//! SB-CNN (Salamon & Bello 2016, "Deep convolutional neural networks and data augmentation
//! for environmental sound classification"), the seed model (model stage).
//!
//! Layout (input `[batch, 1, n_mels, frames]`):
//! 1. conv 5x5, 24 filters -> BatchNorm -> max-pool 4x2 -> ReLU
//! 2. conv 5x5, 48 filters -> BatchNorm -> max-pool 4x2 -> ReLU
//! 3. conv 5x5, 48 filters -> BatchNorm -> ReLU
//! 4. flatten -> dropout 0.5 -> dense 64 -> ReLU -> dropout 0.5 -> dense n_classes (logits)
//!
//! All convolutions use "same" padding (the paper's 128x128 input allowed "valid" in block 3;
//! a 60-mel input is only 3 rows tall after two 4x pools). Pool kernels are clamped to the
//! feature-map size so small inputs (e.g. 40x32) still build. For 60x41 input the flatten
//! layer has 48 x 3 x 10 = 1440 features. The embedding ([`crate::Classifier::embed`]) is the
//! 64 units after the hidden dense layer's ReLU.

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::plan::{LayerPlan, Planner, positive, probability};

/// SB-CNN settings. Defaults are the paper's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SbCnnConfig {
    /// Filters of the three conv blocks. Default `[24, 48, 48]`.
    pub filters: [usize; 3],
    /// Convolution kernel `[mels, frames]`. Default `[5, 5]`.
    pub kernel: [usize; 2],
    /// Max-pool after blocks 1 and 2, `[mels, frames]`. Default `[4, 2]` (`[3, 2]` suits 40 mels).
    pub pool: [usize; 2],
    /// Hidden dense units. Default 64.
    pub dense: usize,
    /// Dropout probability before each dense layer. Default 0.5.
    pub dropout: f64,
}

impl Default for SbCnnConfig {
    fn default() -> Self {
        SbCnnConfig {
            filters: [24, 48, 48],
            kernel: [5, 5],
            pool: [4, 2],
            dense: 64,
            dropout: 0.5,
        }
    }
}

impl SbCnnConfig {
    /// Plan every layer for an `n_mels x frames` input.
    pub fn plan(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<LayerPlan, ModelError> {
        positive("n_classes", n_classes)?;
        positive("dense", self.dense)?;
        probability("dropout", self.dropout)?;
        let mut p = Planner::new(n_mels, frames)?;
        for (i, &f) in self.filters.iter().enumerate() {
            let b = i + 1;
            p.conv_same(&format!("block{b}.conv"), f, self.kernel, [1, 1], 1, true)?;
            p.batch_norm(&format!("block{b}.bn"));
            if i < 2 {
                p.max_pool(&format!("block{b}.pool"), self.pool)?;
            }
            p.relu(&format!("block{b}.relu"));
        }
        p.flatten();
        p.dropout("dropout1", self.dropout);
        p.linear("fc1", self.dense)?;
        p.relu("fc1.relu");
        p.dropout("dropout2", self.dropout);
        p.linear("fc2", n_classes)?;
        Ok(p.finish())
    }
}
