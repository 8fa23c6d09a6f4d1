//! Layer plans shared by model construction and the analytical summary (model stage).
//!
//! An architecture first turns its config and the input shape into a `Vec<Planned>`;
//! `init` builds burn modules from exactly that plan and `summary` counts parameters and
//! MACs from it, so the two cannot disagree.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::Device;

use crate::ModelError;

/// One planned layer with its output shape `[channels, height, width]` (or `[features, 1, 1]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned {
    pub name: String,
    pub op: Op,
    pub out: [usize; 3],
}

/// Layer kinds the architectures use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// 2-D convolution; `pad` = (top, left, bottom, right).
    Conv {
        in_c: usize,
        out_c: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        groups: usize,
        pad: [usize; 4],
        bias: bool,
    },
    BatchNorm {
        c: usize,
    },
    MaxPool {
        kernel: [usize; 2],
    },
    Relu,
    Flatten,
    Dropout,
    Linear {
        in_f: usize,
        out_f: usize,
    },
}

impl Planned {
    /// Trainable parameters of this layer.
    pub fn params(&self) -> usize {
        match &self.op {
            Op::Conv {
                in_c,
                out_c,
                kernel,
                groups,
                bias,
                ..
            } => out_c * (in_c / groups) * kernel[0] * kernel[1] + if *bias { *out_c } else { 0 },
            Op::BatchNorm { c } => 2 * c,
            Op::Linear { in_f, out_f } => in_f * out_f + out_f,
            _ => 0,
        }
    }

    /// Non-trainable stored values (BatchNorm running mean and variance).
    pub fn buffers(&self) -> usize {
        match &self.op {
            Op::BatchNorm { c } => 2 * c,
            _ => 0,
        }
    }

    /// Multiply-accumulates per window (one input example). BatchNorm, pooling and
    /// activations count 0 (BatchNorm folds into the preceding convolution at deployment).
    pub fn macs(&self) -> usize {
        match &self.op {
            Op::Conv {
                in_c,
                out_c,
                kernel,
                groups,
                ..
            } => self.out[1] * self.out[2] * out_c * (in_c / groups) * kernel[0] * kernel[1],
            Op::Linear { in_f, out_f } => in_f * out_f,
            _ => 0,
        }
    }
}

/// Builder that tracks the running shape while an architecture plans its layers.
pub(crate) struct Planner {
    pub layers: Vec<Planned>,
    pub shape: [usize; 3],
    input: [usize; 2],
}

impl Planner {
    pub fn new(n_mels: usize, frames: usize) -> Result<Self, ModelError> {
        positive("n_mels", n_mels)?;
        positive("frames", frames)?;
        Ok(Planner {
            layers: Vec::new(),
            shape: [1, n_mels, frames],
            input: [n_mels, frames],
        })
    }

    fn push(&mut self, name: String, op: Op, out: [usize; 3]) {
        self.shape = out;
        self.layers.push(Planned { name, op, out });
    }

    fn too_small(&self, layer: &str) -> ModelError {
        ModelError::InputTooSmall {
            n_mels: self.input[0],
            frames: self.input[1],
            layer: layer.to_string(),
        }
    }

    /// Convolution with TensorFlow-style "same" padding: output `ceil(n / stride)`,
    /// padding split evenly with the odd pixel at the bottom/right.
    pub fn conv_same(
        &mut self,
        name: &str,
        out_c: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        groups: usize,
        bias: bool,
    ) -> Result<(), ModelError> {
        positive("filters", out_c)?;
        positive("kernel", kernel[0].min(kernel[1]))?;
        positive("stride", stride[0].min(stride[1]))?;
        let [in_c, h, w] = self.shape;
        let (oh, pt, pb) = same_pad(h, kernel[0], stride[0]);
        let (ow, pl, pr) = same_pad(w, kernel[1], stride[1]);
        if oh == 0 || ow == 0 {
            return Err(self.too_small(name));
        }
        let op = Op::Conv {
            in_c,
            out_c,
            kernel,
            stride,
            groups,
            pad: [pt, pl, pb, pr],
            bias,
        };
        self.push(name.to_string(), op, [out_c, oh, ow]);
        Ok(())
    }

    pub fn batch_norm(&mut self, name: &str) {
        let c = self.shape[0];
        self.push(name.to_string(), Op::BatchNorm { c }, self.shape);
    }

    /// Max-pool with the kernel clamped to the current height/width (so small inputs
    /// such as 40x32 still fit); stride = kernel, remainder rows/columns dropped.
    pub fn max_pool(&mut self, name: &str, kernel: [usize; 2]) -> Result<(), ModelError> {
        positive("pool", kernel[0].min(kernel[1]))?;
        let [c, h, w] = self.shape;
        let k = [kernel[0].min(h), kernel[1].min(w)];
        self.push(
            name.to_string(),
            Op::MaxPool { kernel: k },
            [c, h / k[0], w / k[1]],
        );
        Ok(())
    }

    pub fn relu(&mut self, name: &str) {
        self.push(name.to_string(), Op::Relu, self.shape);
    }

    pub fn flatten(&mut self) {
        let n = self.shape.iter().product();
        self.push("flatten".to_string(), Op::Flatten, [n, 1, 1]);
    }

    pub fn dropout(&mut self, name: &str) {
        self.push(name.to_string(), Op::Dropout, self.shape);
    }

    pub fn linear(&mut self, name: &str, out_f: usize) -> Result<(), ModelError> {
        positive("dense units / n_classes", out_f)?;
        let in_f = self.shape[0];
        self.push(name.to_string(), Op::Linear { in_f, out_f }, [out_f, 1, 1]);
        Ok(())
    }
}

/// `(output, pad_before, pad_after)` for TensorFlow "same" padding.
fn same_pad(n: usize, k: usize, s: usize) -> (usize, usize, usize) {
    let out = n.div_ceil(s);
    let total = ((out.saturating_sub(1)) * s + k).saturating_sub(n);
    (out, total / 2, total - total / 2)
}

pub(crate) fn positive(name: &'static str, value: usize) -> Result<(), ModelError> {
    if value == 0 {
        Err(ModelError::ZeroSize { name, value })
    } else {
        Ok(())
    }
}

pub(crate) fn probability(name: &'static str, value: f64) -> Result<(), ModelError> {
    if value.is_finite() && (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(ModelError::BadProbability { name, value })
    }
}

/// Build a burn convolution from a planned `Op::Conv`.
pub(crate) fn build_conv(op: &Op, device: &Device) -> Conv2d {
    match op {
        Op::Conv {
            in_c,
            out_c,
            kernel,
            stride,
            groups,
            pad,
            bias,
        } => Conv2dConfig::new([*in_c, *out_c], *kernel)
            .with_stride(*stride)
            .with_groups(*groups)
            .with_bias(*bias)
            .with_padding(PaddingConfig2d::Explicit(pad[0], pad[1], pad[2], pad[3]))
            .init(device),
        other => unreachable_layer(other),
    }
}

/// Build a burn BatchNorm from a planned `Op::BatchNorm`.
pub(crate) fn build_bn(op: &Op, device: &Device) -> BatchNorm {
    match op {
        Op::BatchNorm { c } => BatchNormConfig::new(*c).init(device),
        other => unreachable_layer(other),
    }
}

#[cold]
fn unreachable_layer(op: &Op) -> ! {
    // Plans are produced and consumed by the same architecture code; a mismatch is a bug
    // in this crate, not bad input.
    panic!("layer plan out of sync with module construction: got {op:?}")
}

/// Iterator helper: find the next planned layer whose op matches `pred`.
pub(crate) fn next_op<'a>(
    it: &mut impl Iterator<Item = &'a Planned>,
    pred: impl Fn(&Op) -> bool,
) -> &'a Planned {
    match it.find(|p| pred(&p.op)) {
        Some(p) => p,
        None => panic!("layer plan out of sync with module construction"),
    }
}
