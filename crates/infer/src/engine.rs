//! The plan engine (predict stage): a model's [`LayerPlan`] run straight on `hark-kernels`,
//! without burn's graph, with BatchNorm folded into the convolution before it and every
//! buffer sized once per model.
//!
//! It computes what [`hark_model::Classifier`] computes in inference mode (dropout off,
//! BatchNorm running statistics); `tests/engine.rs` holds the two together. `HARK_KERNELS=burn`
//! makes [`crate::Predictor`] use burn instead, for comparison.

use std::collections::HashMap;

use hark_kernels::{
    Conv2d, MaxPool2d, band_stats_into, channel_affine_in_place, dense_into, fold_batch_norm,
    relu_in_place, softmax_in_place,
};
use hark_model::{LayerPlan, Op};

use crate::{InferError, ModelWeights};

/// Which implementation [`crate::Predictor`] runs: `HARK_KERNELS=fast` (the default, this
/// engine) or `HARK_KERNELS=burn` (burn's Flex backend).
pub const KERNELS_ENV: &str = "HARK_KERNELS";

/// One step of the compiled plan; a step may cover several plan layers (a convolution and
/// the BatchNorm folded into it). Exporters (ONNX, C) read these steps, so every path runs
/// the same folded numbers. Activations between steps are flat, row-major `[c, h, w]`.
#[derive(Debug, Clone)]
pub enum Step {
    /// Convolution with any BatchNorm that follows already folded in.
    Conv {
        /// Geometry (input shape, kernel, stride, padding, groups).
        geom: Conv2d,
        /// `[out_channels, in_channels / groups, kh, kw]`.
        weight: Vec<f32>,
        /// `[out_channels]` (zeros when the layer has no bias and no BatchNorm).
        bias: Vec<f32>,
    },
    /// A BatchNorm that could not be folded: `x * scale[c] + shift[c]` per channel.
    Affine {
        /// Per-channel factor.
        scale: Vec<f32>,
        /// Per-channel offset.
        shift: Vec<f32>,
    },
    /// Max-pooling, stride = kernel.
    Pool(MaxPool2d),
    /// `max(x, 0)`.
    Relu,
    /// Per-band mean and standard deviation over frames: `[n_mels, frames]` ->
    /// `[2 * n_mels]` ([`hark_kernels::band_stats_into`]).
    BandStats {
        /// Mel bands.
        n_mels: usize,
        /// Frames.
        frames: usize,
    },
    /// Fully connected layer on the flattened activation: `y = x W + b`.
    Dense {
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
        /// `[in_features, out_features]`.
        weight: Vec<f32>,
        /// `[out_features]`.
        bias: Vec<f32>,
    },
}

/// A model's layer plan compiled to kernel calls. Build once; [`PlanEngine::workspace`]
/// gives each thread its buffers.
#[derive(Debug, Clone)]
pub struct PlanEngine {
    steps: Vec<Step>,
    /// Output length after each step.
    lens: Vec<usize>,
    input_len: usize,
    /// Steps that produce the embedding (the plan's embedding layer output).
    embed_steps: usize,
    max_len: usize,
    max_scratch: usize,
}

/// Buffers for [`PlanEngine::forward`]: two activations and the convolution scratch.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    a: Vec<f32>,
    b: Vec<f32>,
    scratch: Vec<f32>,
}

impl PlanEngine {
    /// Compile `plan` with `weights` (names and shapes as [`LayerPlan::params`] gives them).
    pub fn new(plan: &LayerPlan, weights: &ModelWeights) -> Result<PlanEngine, InferError> {
        let by_name: HashMap<&str, &crate::NamedTensor> = weights
            .tensors
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect();
        let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, InferError> {
            match by_name.get(name) {
                Some(t) if t.shape == shape && t.data.len() == shape.iter().product::<usize>() => {
                    Ok(t.data.clone())
                }
                found => Err(InferError::WeightMismatch {
                    name: name.to_string(),
                    expected: shape.to_vec(),
                    actual: found.map(|t| t.shape.clone()).unwrap_or_default(),
                }),
            }
        };
        let param = |layer: &hark_model::Layer, which: &str| -> Result<Vec<f32>, InferError> {
            let spec = layer
                .params()
                .into_iter()
                .find(|p| p.name.ends_with(&format!(".{which}")))
                .ok_or_else(|| InferError::Backend(format!("{}: no {which}", layer.name)))?;
            get(&spec.name, &spec.shape)
        };
        let embed_layer = plan.embedding_layer();
        let mut steps = Vec::new();
        let mut embed_steps = 0;
        let mut shape = plan.input;
        let mut i = 0;
        while i < plan.layers.len() {
            let layer = &plan.layers[i];
            let mut last = i;
            match &layer.op {
                Op::Conv2d {
                    in_channels,
                    out_channels,
                    kernel,
                    stride,
                    groups,
                    padding,
                    bias,
                } => {
                    let geom = Conv2d {
                        in_channels: *in_channels,
                        out_channels: *out_channels,
                        in_h: shape[1],
                        in_w: shape[2],
                        kernel: *kernel,
                        stride: *stride,
                        padding: *padding,
                        groups: *groups,
                    };
                    geom.validate()
                        .map_err(|e| InferError::Backend(format!("{}: {e}", layer.name)))?;
                    let mut weight = param(layer, "weight")?;
                    let mut b = if *bias {
                        param(layer, "bias")?
                    } else {
                        vec![0.0; *out_channels]
                    };
                    // Fold a BatchNorm that follows, unless the embedding is read between.
                    if let Some(next) = plan.layers.get(i + 1)
                        && let Op::BatchNorm { epsilon, .. } = next.op
                        && i != embed_layer
                    {
                        fold_batch_norm(
                            &mut weight,
                            &mut b,
                            &param(next, "gamma")?,
                            &param(next, "beta")?,
                            &param(next, "running_mean")?,
                            &param(next, "running_var")?,
                            epsilon,
                        );
                        last = i + 1;
                    }
                    steps.push(Step::Conv {
                        geom,
                        weight,
                        bias: b,
                    });
                }
                Op::BatchNorm { epsilon, .. } => {
                    let (gamma, beta) = (param(layer, "gamma")?, param(layer, "beta")?);
                    let (mean, var) = (param(layer, "running_mean")?, param(layer, "running_var")?);
                    let scale: Vec<f32> = gamma
                        .iter()
                        .zip(&var)
                        .map(|(&g, &v)| (f64::from(g) / (f64::from(v) + epsilon).sqrt()) as f32)
                        .collect();
                    let shift = beta
                        .iter()
                        .zip(&mean)
                        .zip(&scale)
                        .map(|((&b, &m), &s)| b - m * s)
                        .collect();
                    steps.push(Step::Affine { scale, shift });
                }
                Op::MaxPool2d { kernel } => steps.push(Step::Pool(MaxPool2d {
                    channels: shape[0],
                    in_h: shape[1],
                    in_w: shape[2],
                    kernel: *kernel,
                })),
                Op::Relu => steps.push(Step::Relu),
                Op::BandStats { n_mels, frames } => steps.push(Step::BandStats {
                    n_mels: *n_mels,
                    frames: *frames,
                }),
                // Activations are stored flat, row-major: flattening moves nothing, and
                // dropout is the identity at inference.
                Op::Flatten | Op::Dropout { .. } => {}
                Op::Linear {
                    in_features,
                    out_features,
                } => steps.push(Step::Dense {
                    in_features: *in_features,
                    out_features: *out_features,
                    weight: param(layer, "weight")?,
                    bias: param(layer, "bias")?,
                }),
                other => {
                    return Err(InferError::Backend(format!(
                        "{}: the plan engine cannot run {other:?}; set {KERNELS_ENV}=burn",
                        layer.name
                    )));
                }
            }
            shape = plan.layers[last].output;
            if (i..=last).contains(&embed_layer) {
                embed_steps = steps.len();
            }
            i = last + 1;
        }
        let input_len = plan.input.iter().product();
        let mut len = input_len;
        let mut lens = Vec::with_capacity(steps.len());
        let (mut max_len, mut max_scratch) = (len, 0);
        for s in &steps {
            len = match s {
                Step::Conv { geom, .. } => {
                    max_scratch = max_scratch.max(geom.scratch_len());
                    geom.output_len()
                }
                Step::Pool(p) => p.output_len(),
                Step::Dense { out_features, .. } => *out_features,
                Step::BandStats { n_mels, .. } => 2 * n_mels,
                Step::Affine { .. } | Step::Relu => len,
            };
            max_len = max_len.max(len);
            lens.push(len);
        }
        Ok(PlanEngine {
            steps,
            lens,
            input_len,
            embed_steps,
            max_len,
            max_scratch,
        })
    }

    /// Buffers sized for this model (one per thread; reuse across calls).
    pub fn workspace(&self) -> Workspace {
        Workspace {
            a: vec![0.0; self.max_len],
            b: vec![0.0; self.max_len],
            scratch: vec![0.0; self.max_scratch],
        }
    }

    /// Softmax probabilities of one window (`[n_mels * frames]`, row-major), written to `out`.
    pub fn predict_into(&self, window: &[f32], ws: &mut Workspace, out: &mut [f32]) {
        self.logits_into(window, ws, out);
        softmax_in_place(out);
    }

    /// Logits (before softmax) of one window, written to `out`.
    pub fn logits_into(&self, window: &[f32], ws: &mut Workspace, out: &mut [f32]) {
        out.copy_from_slice(self.run(window, self.steps.len(), ws));
    }

    /// The compiled steps, in order, and each one's output length per window.
    pub fn steps(&self) -> impl Iterator<Item = (&Step, usize)> {
        self.steps.iter().zip(self.lens.iter().copied())
    }

    /// The embedding of one window, written to `out`.
    pub fn embed_into(&self, window: &[f32], ws: &mut Workspace, out: &mut [f32]) {
        out.copy_from_slice(self.run(window, self.embed_steps, ws));
    }

    /// Values per window the model reads.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// Run one window through every step, handing `each` the step's index and output (for
    /// calibrating a quantised export on the float activations).
    pub fn trace(&self, window: &[f32], ws: &mut Workspace, mut each: impl FnMut(usize, &[f32])) {
        self.run_with(window, self.steps.len(), ws, &mut each);
    }

    fn run<'w>(&self, window: &[f32], n_steps: usize, ws: &'w mut Workspace) -> &'w [f32] {
        self.run_with(window, n_steps, ws, &mut |_, _| {})
    }

    fn run_with<'w>(
        &self,
        window: &[f32],
        n_steps: usize,
        ws: &'w mut Workspace,
        each: &mut dyn FnMut(usize, &[f32]),
    ) -> &'w [f32] {
        if ws.a.len() < self.max_len || ws.scratch.len() < self.max_scratch {
            *ws = self.workspace();
        }
        let Workspace { a, b, scratch } = ws;
        let (mut cur, mut next) = (a, b);
        let mut len = self.input_len;
        cur[..len].copy_from_slice(window);
        for (k, (step, &out_len)) in self.steps[..n_steps].iter().zip(&self.lens).enumerate() {
            match step {
                Step::Conv { geom, weight, bias } => {
                    geom.forward_into(
                        &cur[..len],
                        weight,
                        Some(bias),
                        &mut next[..out_len],
                        scratch,
                    );
                    std::mem::swap(&mut cur, &mut next);
                }
                Step::Pool(p) => {
                    p.forward_into(&cur[..len], &mut next[..out_len]);
                    std::mem::swap(&mut cur, &mut next);
                }
                Step::Dense {
                    in_features,
                    out_features,
                    weight,
                    bias,
                } => {
                    dense_into(
                        1,
                        *in_features,
                        *out_features,
                        &cur[..len],
                        weight,
                        bias,
                        &mut next[..out_len],
                    );
                    std::mem::swap(&mut cur, &mut next);
                }
                Step::Affine { scale, shift } => {
                    channel_affine_in_place(&mut cur[..len], scale, shift);
                }
                Step::Relu => relu_in_place(&mut cur[..len]),
                Step::BandStats { n_mels, frames } => {
                    band_stats_into(*n_mels, *frames, &cur[..len], &mut next[..out_len]);
                    std::mem::swap(&mut cur, &mut next);
                }
            }
            len = out_len;
            each(k, &cur[..len]);
        }
        &cur[..len]
    }
}
