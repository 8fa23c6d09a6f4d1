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
//! layer has 48 x 3 x 10 = 1440 features.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::layers::{Op, Planned, Planner, build_bn, build_conv, next_op, positive, probability};

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
    pub(crate) fn plan(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<Vec<Planned>, ModelError> {
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
        p.dropout("dropout1");
        p.linear("fc1", self.dense)?;
        p.relu("fc1.relu");
        p.dropout("dropout2");
        p.linear("fc2", n_classes)?;
        Ok(p.layers)
    }

    /// Build the model; see [`crate::ModelConfig::init`].
    pub fn init(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
        device: &Device,
    ) -> Result<SbCnn, ModelError> {
        let plan = self.plan(n_mels, frames, n_classes)?;
        let mut it = plan.iter();
        let mut blocks = Vec::with_capacity(3);
        for i in 0..3 {
            let conv = build_conv(
                &next_op(&mut it, |o| matches!(o, Op::Conv { .. })).op,
                device,
            );
            let bn = build_bn(
                &next_op(&mut it, |o| matches!(o, Op::BatchNorm { .. })).op,
                device,
            );
            let pool = if i < 2 {
                match next_op(&mut it, |o| matches!(o, Op::MaxPool { .. })).op {
                    Op::MaxPool { kernel } => Some(MaxPool2dConfig::new(kernel).init()),
                    _ => None,
                }
            } else {
                None
            };
            blocks.push(ConvBlock { conv, bn, pool });
        }
        let mut linear = || match next_op(&mut it, |o| matches!(o, Op::Linear { .. })).op {
            Op::Linear { in_f, out_f } => LinearConfig::new(in_f, out_f).init(device),
            _ => LinearConfig::new(1, 1).init(device),
        };
        let fc1 = linear();
        let fc2 = linear();
        Ok(SbCnn {
            blocks,
            dropout: DropoutConfig::new(self.dropout).init(),
            fc1,
            fc2,
        })
    }
}

/// conv -> BatchNorm -> (max-pool) -> ReLU.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    bn: BatchNorm,
    pool: Option<MaxPool2d>,
}

impl ConvBlock {
    /// `[batch, c_in, h, w]` -> `[batch, c_out, h / pool_h, w / pool_w]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.bn.forward(self.conv.forward(x));
        let x = match &self.pool {
            Some(pool) => pool.forward(x),
            None => x,
        };
        relu(x)
    }
}

/// The SB-CNN module. Build it with [`SbCnnConfig::init`].
#[derive(Module, Debug)]
pub struct SbCnn {
    blocks: Vec<ConvBlock>,
    dropout: Dropout,
    fc1: Linear,
    fc2: Linear,
}

impl SbCnn {
    /// `[batch, 1, n_mels, frames]` -> `[batch, n_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = x;
        for b in &self.blocks {
            x = b.forward(x);
        }
        let [n, c, h, w] = x.dims();
        let x = x.reshape([n, c * h * w]);
        let x = relu(self.fc1.forward(self.dropout.forward(x)));
        self.fc2.forward(self.dropout.forward(x))
    }
}
