//! Stride-DS: strided depthwise-separable CNN for microcontrollers (model stage), after
//! Jon Nordby, "Environmental sound classification on microcontrollers using
//! convolutional neural networks" (NMBU, 2019).
//!
//! Layout (input `[batch, 1, n_mels, frames]`, all convolutions "same" padded, no pooling:
//! downsampling is done by strides):
//! 1. stem: conv 3x3 stride 2x2, `filters` channels -> BatchNorm -> ReLU
//! 2. for each stride in `strides` (block i = 1, 2, ...):
//!    depthwise conv 3x3 (groups = channels) with that stride -> BatchNorm -> ReLU ->
//!    pointwise conv 1x1 to `round(filters * growth^i)` channels -> BatchNorm -> ReLU
//! 3. flatten -> dropout -> dense `dense` -> ReLU (omitted when `dense = 0`) -> dense n_classes
//!
//! Convolutions before a BatchNorm carry no bias (it would be cancelled by the norm).
//! With the defaults (24 filters, growth 1.5, three 2x2-strided blocks, dense 64) on a
//! 60x31 input with 10 classes, [`crate::summary`] gives 51,228 trainable parameters (+618
//! BatchNorm running statistics) and 386,848 MACs per window (the thesis' Stride-DS-24 is quoted at ~48k parameters and
//! ~477k MACC; its exact layer list is not reproduced here).

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::plan::{LayerPlan, Planner, positive, probability};

/// Stride-DS settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StrideDsConfig {
    /// Channels of the stem convolution. Default 24 ("Stride-DS-24").
    pub filters: usize,
    /// Channel growth per block: block i has `round(filters * growth^i)` channels. Default 1.5.
    pub growth: f32,
    /// Kernel of the stem and the depthwise convolutions `[mels, frames]`. Default `[3, 3]`.
    pub kernel: [usize; 2],
    /// Stride of the stem convolution. Default `[2, 2]`.
    pub stem_stride: [usize; 2],
    /// One depthwise-separable block per entry, with that stride. Default three `[2, 2]`.
    pub strides: Vec<[usize; 2]>,
    /// Hidden dense units before the classifier; 0 = none. Default 64.
    pub dense: usize,
    /// Dropout probability before the dense layers. Default 0.5.
    pub dropout: f64,
}

impl Default for StrideDsConfig {
    fn default() -> Self {
        StrideDsConfig {
            filters: 24,
            growth: 1.5,
            kernel: [3, 3],
            stem_stride: [2, 2],
            strides: vec![[2, 2]; 3],
            dense: 64,
            dropout: 0.5,
        }
    }
}

impl StrideDsConfig {
    fn channels(&self, block: usize) -> usize {
        let g = f64::from(self.growth).max(0.0);
        (self.filters as f64 * g.powi(block as i32)).round() as usize
    }

    /// Plan every layer for an `n_mels x frames` input.
    pub fn plan(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<LayerPlan, ModelError> {
        positive("n_classes", n_classes)?;
        positive("filters", self.filters)?;
        probability("dropout", self.dropout)?;
        let mut p = Planner::new(n_mels, frames)?;
        p.conv_same(
            "stem.conv",
            self.filters,
            self.kernel,
            self.stem_stride,
            1,
            false,
        )?;
        p.batch_norm("stem.bn");
        p.relu("stem.relu");
        for (i, &s) in self.strides.iter().enumerate() {
            let b = i + 1;
            let c = p.shape[0];
            p.conv_same(&format!("block{b}.depthwise"), c, self.kernel, s, c, false)?;
            p.batch_norm(&format!("block{b}.bn_dw"));
            p.relu(&format!("block{b}.relu_dw"));
            p.conv_same(
                &format!("block{b}.pointwise"),
                self.channels(b),
                [1, 1],
                [1, 1],
                1,
                false,
            )?;
            p.batch_norm(&format!("block{b}.bn_pw"));
            p.relu(&format!("block{b}.relu_pw"));
        }
        p.flatten();
        p.dropout("dropout", self.dropout);
        if self.dense > 0 {
            p.linear("fc1", self.dense)?;
            p.relu("fc1.relu");
        }
        p.linear("out", n_classes)?;
        Ok(p.finish())
    }
}
