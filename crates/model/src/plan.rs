//! The public layer plan (model stage): an architecture's exact layer list, in forward order,
//! with every layer's kind, settings, output shape and parameter tensors.
//!
//! One plan drives everything that needs the architecture: [`crate::Classifier`] builds its
//! burn modules from it and runs its forward pass by walking it; the analytic
//! [`crate::summary`] counts from it; exporters (ONNX, C), custom kernels and model
//! summaries read it instead of re-deriving the architecture.
//!
//! # Tensor layouts
//! Parameter tensors are named `<prefix>.<param>` where the prefix is [`Layer::params`]'s
//! module path (e.g. `convs.0`) and the model file stores them under exactly these names:
//! - convolution: `weight` `[out_channels, in_channels / groups, kh, kw]`, `bias` `[out_channels]`;
//! - BatchNorm: `gamma`, `beta`, `running_mean`, `running_var`, each `[channels]`;
//!   inference computes `gamma * (x - running_mean) / sqrt(running_var + epsilon) + beta`;
//! - linear: `weight` `[in_features, out_features]` (burn's layout: `y = x W + b`), `bias` `[out_features]`.
//!
//! Activations are NCHW; `Flatten` turns `[c, h, w]` into `c * h * w` features in that
//! row-major order.

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// What one layer computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Op {
    /// 2-D convolution, cross-correlation as in every framework.
    Conv2d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel `[height (mels), width (frames)]`.
        kernel: [usize; 2],
        /// Stride `[height, width]`.
        stride: [usize; 2],
        /// Channel groups (`in_channels` for a depthwise convolution).
        groups: usize,
        /// Zero padding `[top, left, bottom, right]` (TensorFlow "same": the odd pixel goes
        /// bottom/right).
        padding: [usize; 4],
        /// Whether a bias is added.
        bias: bool,
    },
    /// Batch normalisation over channels (inference: running statistics).
    BatchNorm {
        /// Channels.
        channels: usize,
        /// Added to the variance before the square root.
        epsilon: f64,
    },
    /// Max-pooling, stride = kernel, no padding; remainder rows/columns are dropped.
    MaxPool2d {
        /// Kernel `[height, width]`.
        kernel: [usize; 2],
    },
    /// `max(x, 0)`.
    Relu,
    /// `[c, h, w]` -> `c * h * w` features.
    Flatten,
    /// Dropout with this probability while training; identity at inference.
    Dropout {
        /// Probability of zeroing an activation.
        prob: f64,
    },
    /// Per-band mean and standard deviation over frames: `[1, n_mels, frames]` ->
    /// `[2 * n_mels, 1, 1]` (the means, then the population standard deviations). The input
    /// of the classical classifiers on log-mel statistics ([`crate::ClassicalConfig`]).
    BandStats {
        /// Mel bands of the input.
        n_mels: usize,
        /// Frames of the input.
        frames: usize,
    },
    /// Fully connected layer.
    Linear {
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
    },
}

/// Which kind of module owns a layer's parameters, and its position among modules of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamOwner {
    /// `convs.<index>`.
    Conv(usize),
    /// `norms.<index>`.
    Norm(usize),
    /// `linears.<index>`.
    Linear(usize),
}

impl ParamOwner {
    /// Module path of the owner, the prefix of its tensor names (`convs.0`, `norms.2`, ...).
    pub fn prefix(&self) -> String {
        match self {
            ParamOwner::Conv(i) => format!("convs.{i}"),
            ParamOwner::Norm(i) => format!("norms.{i}"),
            ParamOwner::Linear(i) => format!("linears.{i}"),
        }
    }
}

/// One parameter tensor of a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Full name as stored in the model file, e.g. `convs.0.weight`.
    pub name: String,
    /// Shape (see the module docs for layouts).
    pub shape: Vec<usize>,
    /// False for BatchNorm running statistics (stored, not trained).
    pub trainable: bool,
}

/// One layer of a [`LayerPlan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Human-readable name, e.g. `block1.conv` (unique within the plan).
    pub name: String,
    /// What it computes.
    pub op: Op,
    /// Output shape per window: `[channels, height, width]`, or `[features, 1, 1]` after
    /// `Flatten`.
    pub output: [usize; 3],
    /// The module holding its parameters, for layers that have any.
    pub owner: Option<ParamOwner>,
}

impl Layer {
    /// The layer's parameter tensors, in a fixed order (weight before bias; gamma, beta,
    /// running_mean, running_var).
    pub fn params(&self) -> Vec<ParamSpec> {
        let Some(owner) = self.owner else {
            return Vec::new();
        };
        let p = owner.prefix();
        let spec = |n: &str, shape: Vec<usize>, trainable| ParamSpec {
            name: format!("{p}.{n}"),
            shape,
            trainable,
        };
        match &self.op {
            Op::Conv2d {
                in_channels,
                out_channels,
                kernel,
                groups,
                bias,
                ..
            } => {
                let mut v = vec![spec(
                    "weight",
                    vec![*out_channels, in_channels / groups, kernel[0], kernel[1]],
                    true,
                )];
                if *bias {
                    v.push(spec("bias", vec![*out_channels], true));
                }
                v
            }
            Op::BatchNorm { channels, .. } => vec![
                spec("gamma", vec![*channels], true),
                spec("beta", vec![*channels], true),
                spec("running_mean", vec![*channels], false),
                spec("running_var", vec![*channels], false),
            ],
            Op::Linear {
                in_features,
                out_features,
            } => vec![
                spec("weight", vec![*in_features, *out_features], true),
                spec("bias", vec![*out_features], true),
            ],
            _ => Vec::new(),
        }
    }

    /// Trainable parameter count.
    pub fn trainable_params(&self) -> usize {
        self.params()
            .iter()
            .filter(|p| p.trainable)
            .map(|p| p.shape.iter().product::<usize>())
            .sum()
    }

    /// Stored, non-trainable values (BatchNorm running mean and variance).
    pub fn buffers(&self) -> usize {
        self.params()
            .iter()
            .filter(|p| !p.trainable)
            .map(|p| p.shape.iter().product::<usize>())
            .sum()
    }

    /// Multiply-accumulates per window. BatchNorm, pooling and activations count 0
    /// (BatchNorm folds into the preceding convolution at deployment).
    pub fn macs(&self) -> usize {
        match &self.op {
            Op::Conv2d {
                in_channels,
                out_channels,
                kernel,
                groups,
                ..
            } => {
                self.output[1]
                    * self.output[2]
                    * out_channels
                    * (in_channels / groups)
                    * kernel[0]
                    * kernel[1]
            }
            Op::Linear {
                in_features,
                out_features,
            } => in_features * out_features,
            // A sum and a sum of squared deviations per input value.
            Op::BandStats { n_mels, frames } => 2 * n_mels * frames,
            _ => 0,
        }
    }
}

/// An architecture laid out for one input shape and class count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerPlan {
    /// Input per window `[1, n_mels, frames]`.
    pub input: [usize; 3],
    /// Layers in forward order; the last is the `Linear` producing the logits.
    pub layers: Vec<Layer>,
}

impl LayerPlan {
    /// Number of classes (outputs of the last layer).
    pub fn n_classes(&self) -> usize {
        self.layers.last().map(|l| l.output[0]).unwrap_or(0)
    }

    /// Every parameter tensor, in forward order.
    pub fn params(&self) -> Vec<ParamSpec> {
        self.layers.iter().flat_map(Layer::params).collect()
    }

    /// Index of the layer whose output is the embedding: the last layer before the final
    /// classifier `Linear` (and before the dropout feeding it), i.e. the penultimate
    /// activations.
    pub fn embedding_layer(&self) -> usize {
        let last = self
            .layers
            .iter()
            .rposition(|l| matches!(l.op, Op::Linear { .. }))
            .unwrap_or(0);
        let mut i = last.saturating_sub(1);
        while i > 0 && matches!(self.layers[i].op, Op::Dropout { .. }) {
            i -= 1;
        }
        i
    }

    /// Length of the embedding vector ([`LayerPlan::embedding_layer`]'s output size).
    pub fn embedding_dim(&self) -> usize {
        self.layers
            .get(self.embedding_layer())
            .map(|l| l.output.iter().product())
            .unwrap_or(0)
    }
}

/// Builder that tracks the running shape while an architecture plans its layers.
pub(crate) struct Planner {
    layers: Vec<Layer>,
    pub shape: [usize; 3],
    input: [usize; 2],
    counts: [usize; 3],
}

/// burn's `BatchNormConfig` default, written into the plan so exporters need not know it.
pub(crate) const BATCH_NORM_EPSILON: f64 = 1e-5;

impl Planner {
    pub fn new(n_mels: usize, frames: usize) -> Result<Self, ModelError> {
        positive("n_mels", n_mels)?;
        positive("frames", frames)?;
        Ok(Planner {
            layers: Vec::new(),
            shape: [1, n_mels, frames],
            input: [n_mels, frames],
            counts: [0; 3],
        })
    }

    pub fn finish(self) -> LayerPlan {
        LayerPlan {
            input: [1, self.input[0], self.input[1]],
            layers: self.layers,
        }
    }

    fn push(&mut self, name: String, op: Op, output: [usize; 3]) {
        let slot = match op {
            Op::Conv2d { .. } => Some(0),
            Op::BatchNorm { .. } => Some(1),
            Op::Linear { .. } => Some(2),
            _ => None,
        };
        let owner = slot.map(|s| {
            let i = self.counts[s];
            self.counts[s] += 1;
            match s {
                0 => ParamOwner::Conv(i),
                1 => ParamOwner::Norm(i),
                _ => ParamOwner::Linear(i),
            }
        });
        self.shape = output;
        self.layers.push(Layer {
            name,
            op,
            output,
            owner,
        });
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
        out_channels: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        groups: usize,
        bias: bool,
    ) -> Result<(), ModelError> {
        positive("filters", out_channels)?;
        positive("kernel", kernel[0].min(kernel[1]))?;
        positive("stride", stride[0].min(stride[1]))?;
        let [in_channels, h, w] = self.shape;
        let (oh, pt, pb) = same_pad(h, kernel[0], stride[0]);
        let (ow, pl, pr) = same_pad(w, kernel[1], stride[1]);
        if oh == 0 || ow == 0 {
            return Err(self.too_small(name));
        }
        let op = Op::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            groups,
            padding: [pt, pl, pb, pr],
            bias,
        };
        self.push(name.to_string(), op, [out_channels, oh, ow]);
        Ok(())
    }

    pub fn batch_norm(&mut self, name: &str) {
        let channels = self.shape[0];
        let op = Op::BatchNorm {
            channels,
            epsilon: BATCH_NORM_EPSILON,
        };
        self.push(name.to_string(), op, self.shape);
    }

    /// Max-pool with the kernel clamped to the current height/width (so small inputs
    /// such as 40x32 still fit); stride = kernel, remainder rows/columns dropped.
    pub fn max_pool(&mut self, name: &str, kernel: [usize; 2]) -> Result<(), ModelError> {
        positive("pool", kernel[0].min(kernel[1]))?;
        let [c, h, w] = self.shape;
        let k = [kernel[0].min(h), kernel[1].min(w)];
        self.push(
            name.to_string(),
            Op::MaxPool2d { kernel: k },
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

    pub fn dropout(&mut self, name: &str, prob: f64) {
        self.push(name.to_string(), Op::Dropout { prob }, self.shape);
    }

    /// Per-band statistics of the input window (must be the first layer).
    pub fn band_stats(&mut self, name: &str) {
        let [_, n_mels, frames] = self.shape;
        self.push(
            name.to_string(),
            Op::BandStats { n_mels, frames },
            [2 * n_mels, 1, 1],
        );
    }

    /// Continue planning after the layers of `plan` (its parameter owners keep their
    /// indices; new layers get the next ones).
    pub fn resume(plan: LayerPlan) -> Planner {
        let mut counts = [0; 3];
        for owner in plan.layers.iter().filter_map(|l| l.owner) {
            let (slot, i) = match owner {
                ParamOwner::Conv(i) => (0, i),
                ParamOwner::Norm(i) => (1, i),
                ParamOwner::Linear(i) => (2, i),
            };
            counts[slot] = counts[slot].max(i + 1);
        }
        Planner {
            shape: plan.layers.last().map_or(plan.input, |l| l.output),
            input: [plan.input[1], plan.input[2]],
            layers: plan.layers,
            counts,
        }
    }

    /// Inference-mode BatchNorm with the given epsilon (standardisation layers).
    pub fn batch_norm_eps(&mut self, name: &str, epsilon: f64) {
        let channels = self.shape[0];
        self.push(
            name.to_string(),
            Op::BatchNorm { channels, epsilon },
            self.shape,
        );
    }

    pub fn linear(&mut self, name: &str, out_features: usize) -> Result<(), ModelError> {
        positive("dense units / n_classes", out_features)?;
        let in_features = self.shape[0];
        let op = Op::Linear {
            in_features,
            out_features,
        };
        self.push(name.to_string(), op, [out_features, 1, 1]);
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
