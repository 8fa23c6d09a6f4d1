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

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::layers::{Op, Planned, Planner, build_bn, build_conv, next_op, positive, probability};

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
    pub(crate) fn plan(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<Vec<Planned>, ModelError> {
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
        p.dropout("dropout");
        if self.dense > 0 {
            p.linear("fc1", self.dense)?;
            p.relu("fc1.relu");
        }
        p.linear("out", n_classes)?;
        Ok(p.layers)
    }

    /// Build the model; see [`crate::ModelConfig::init`].
    pub fn init(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
        device: &Device,
    ) -> Result<StrideDs, ModelError> {
        let plan = self.plan(n_mels, frames, n_classes)?;
        let mut it = plan.iter();
        let is_conv = |o: &Op| matches!(o, Op::Conv { .. });
        let is_bn = |o: &Op| matches!(o, Op::BatchNorm { .. });
        let stem = build_conv(&next_op(&mut it, is_conv).op, device);
        let stem_bn = build_bn(&next_op(&mut it, is_bn).op, device);
        let mut blocks = Vec::with_capacity(self.strides.len());
        for _ in &self.strides {
            let depthwise = build_conv(&next_op(&mut it, is_conv).op, device);
            let bn_dw = build_bn(&next_op(&mut it, is_bn).op, device);
            let pointwise = build_conv(&next_op(&mut it, is_conv).op, device);
            let bn_pw = build_bn(&next_op(&mut it, is_bn).op, device);
            blocks.push(DsBlock {
                depthwise,
                bn_dw,
                pointwise,
                bn_pw,
            });
        }
        let mut linears: Vec<Linear> = it
            .filter_map(|p| match p.op {
                Op::Linear { in_f, out_f } => Some(LinearConfig::new(in_f, out_f).init(device)),
                _ => None,
            })
            .collect();
        let out = linears
            .pop()
            .unwrap_or_else(|| LinearConfig::new(1, n_classes).init(device));
        let fc1 = linears.pop();
        Ok(StrideDs {
            stem,
            stem_bn,
            blocks,
            dropout: DropoutConfig::new(self.dropout).init(),
            fc1,
            out,
        })
    }
}

/// Depthwise-separable block: depthwise kxk (strided) -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU.
#[derive(Module, Debug)]
pub struct DsBlock {
    depthwise: Conv2d,
    bn_dw: BatchNorm,
    pointwise: Conv2d,
    bn_pw: BatchNorm,
}

impl DsBlock {
    /// `[batch, c_in, h, w]` -> `[batch, c_out, ceil(h / s_h), ceil(w / s_w)]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = relu(self.bn_dw.forward(self.depthwise.forward(x)));
        relu(self.bn_pw.forward(self.pointwise.forward(x)))
    }
}

/// The Stride-DS module. Build it with [`StrideDsConfig::init`].
#[derive(Module, Debug)]
pub struct StrideDs {
    stem: Conv2d,
    stem_bn: BatchNorm,
    blocks: Vec<DsBlock>,
    dropout: Dropout,
    fc1: Option<Linear>,
    out: Linear,
}

impl StrideDs {
    /// `[batch, 1, n_mels, frames]` -> `[batch, n_classes]` logits.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = relu(self.stem_bn.forward(self.stem.forward(x)));
        for b in &self.blocks {
            x = b.forward(x);
        }
        let [n, c, h, w] = x.dims();
        let x = self.dropout.forward(x.reshape([n, c * h * w]));
        let x = match &self.fc1 {
            Some(fc) => relu(fc.forward(x)),
            None => x,
        };
        self.out.forward(x)
    }
}
