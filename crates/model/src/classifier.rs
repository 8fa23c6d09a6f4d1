//! The classifier module (model stage): burn modules built from a [`LayerPlan`], and a
//! forward pass that walks the same plan.
//!
//! Parameters live in three lists (`convs`, `norms`, `linears`), in plan order, so tensor
//! names are `convs.0.weight`, `norms.1.running_var`, `linears.1.bias` — exactly the names
//! [`crate::Layer::params`] gives. Layers without parameters (pooling, ReLU, flatten) are
//! computed from the plan; dropouts are modules so that `valid()` turns them off.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::MaxPool2dConfig;
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::ModelError;
use crate::plan::{LayerPlan, Op, ParamOwner};

/// A CNN classifier of any planned architecture: a burn [`Module`].
///
/// Build it with [`crate::ModelConfig::init`]. In training mode on an autodiff device,
/// dropout and BatchNorm batch statistics are active; after [`Module::valid`] or on a plain
/// device the model is in inference mode.
#[derive(Module, Debug)]
pub struct Classifier {
    convs: Vec<Conv2d>,
    norms: Vec<BatchNorm>,
    linears: Vec<Linear>,
    dropouts: Vec<Dropout>,
    #[module(skip)]
    plan: LayerPlan,
}

/// An activation between layers: 4-D before `Flatten`, 2-D after.
enum Act {
    Map(Tensor<4>),
    Flat(Tensor<2>),
}

impl Classifier {
    /// Build freshly initialised modules for every layer of `plan` on `device`.
    /// (burn initialises lazily: weights are drawn from the device's RNG on first use.)
    ///
    /// Plans come from [`crate::ModelConfig::plan`]. A plan assembled by hand must flatten
    /// before its first `Linear` and apply 2-D layers only before that; otherwise
    /// [`Classifier::forward`] panics naming the misplaced layer.
    pub fn from_plan(plan: LayerPlan, device: &Device) -> Classifier {
        let (mut convs, mut norms, mut linears, mut dropouts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for layer in &plan.layers {
            match layer.op {
                Op::Conv2d {
                    in_channels,
                    out_channels,
                    kernel,
                    stride,
                    groups,
                    padding: [t, l, b, r],
                    bias,
                } => convs.push(
                    Conv2dConfig::new([in_channels, out_channels], kernel)
                        .with_stride(stride)
                        .with_groups(groups)
                        .with_bias(bias)
                        .with_padding(PaddingConfig2d::Explicit(t, l, b, r))
                        .init(device),
                ),
                Op::BatchNorm { channels, epsilon } => norms.push(
                    BatchNormConfig::new(channels)
                        .with_epsilon(epsilon)
                        .init(device),
                ),
                Op::Linear {
                    in_features,
                    out_features,
                } => linears.push(LinearConfig::new(in_features, out_features).init(device)),
                Op::Dropout { prob } => dropouts.push(DropoutConfig::new(prob).init()),
                Op::MaxPool2d { .. } | Op::Relu | Op::Flatten | Op::BandStats { .. } => {}
            }
        }
        Classifier {
            convs,
            norms,
            linears,
            dropouts,
            plan,
        }
    }

    /// The layer plan this model was built from.
    pub fn plan(&self) -> &LayerPlan {
        &self.plan
    }

    /// Logits for a batch of windows.
    ///
    /// # Panics
    /// On a hand-made plan that applies a layer to an activation of the wrong rank (see
    /// [`Classifier::from_plan`]); plans from [`crate::ModelConfig::plan`] never do.
    ///
    /// # Shapes
    /// - `x`: `[batch, 1, n_mels, frames]` (the plan's input)
    /// - output: `[batch, n_classes]` (unnormalised; apply softmax for probabilities)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.run(x, self.plan.layers.len())
    }

    /// Freeze every layer whose plan name is in `names` or starts with one of them followed
    /// by `.` (`block1` covers `block1.conv` and `block1.bn`): its parameters stop requiring
    /// gradients and its BatchNorm runs on its running statistics, which stay as they are
    /// (burn's [`Module::freeze`]). Returns the model and the frozen layers' names.
    ///
    /// # Errors
    /// [`ModelError::UnknownLayer`] for a name that matches no layer, listing the plan's.
    pub fn freeze(mut self, names: &[String]) -> Result<(Classifier, Vec<String>), ModelError> {
        let mut frozen = Vec::new();
        for name in names {
            let prefix = format!("{name}.");
            let layers: Vec<_> = self
                .plan
                .layers
                .iter()
                .filter(|l| l.name == *name || l.name.starts_with(&prefix))
                .map(|l| (l.name.clone(), l.owner))
                .collect();
            if layers.is_empty() {
                let known: Vec<&str> = self.plan.layers.iter().map(|l| l.name.as_str()).collect();
                return Err(ModelError::UnknownLayer {
                    name: name.clone(),
                    known: known.join(", "),
                });
            }
            for (layer, owner) in layers {
                match owner {
                    Some(ParamOwner::Conv(i)) => self.convs[i] = self.convs[i].clone().freeze(),
                    Some(ParamOwner::Norm(i)) => self.norms[i] = self.norms[i].clone().freeze(),
                    Some(ParamOwner::Linear(i)) => {
                        self.linears[i] = self.linears[i].clone().freeze();
                    }
                    None => {}
                }
                if !frozen.contains(&layer) {
                    frozen.push(layer);
                }
            }
        }
        Ok((self, frozen))
    }

    /// Penultimate activations: the output of [`LayerPlan::embedding_layer`] (for SB-CNN the
    /// 64 units after the hidden dense layer's ReLU), flattened.
    ///
    /// # Shapes
    /// - `x`: `[batch, 1, n_mels, frames]`
    /// - output: `[batch, plan.embedding_dim()]`
    pub fn embed(&self, x: Tensor<4>) -> Tensor<2> {
        self.run(x, self.plan.embedding_layer() + 1)
    }

    /// Run the first `n_layers` layers and return the result flattened per window.
    fn run(&self, x: Tensor<4>, n_layers: usize) -> Tensor<2> {
        let (mut ci, mut ni, mut li, mut di) = (0, 0, 0, 0);
        let mut a = Act::Map(x);
        for layer in &self.plan.layers[..n_layers] {
            a = match (layer.op.clone(), a) {
                (Op::Conv2d { .. }, Act::Map(x)) => {
                    ci += 1;
                    Act::Map(self.convs[ci - 1].forward(x))
                }
                (Op::BatchNorm { .. }, Act::Map(x)) => {
                    ni += 1;
                    Act::Map(self.norms[ni - 1].forward(x))
                }
                (Op::BatchNorm { .. }, Act::Flat(x)) => {
                    // Standardisation of flat features: BatchNorm over `[n, c, 1, 1]`.
                    ni += 1;
                    let [n, c] = x.dims();
                    let y = self.norms[ni - 1].forward(x.reshape([n, c, 1, 1]));
                    Act::Flat(y.reshape([n, c]))
                }
                (Op::BandStats { .. }, Act::Map(x)) => Act::Flat(band_stats(x)),
                (Op::MaxPool2d { kernel }, Act::Map(x)) => {
                    Act::Map(MaxPool2dConfig::new(kernel).init().forward(x))
                }
                (Op::Relu, Act::Map(x)) => Act::Map(relu(x)),
                (Op::Relu, Act::Flat(x)) => Act::Flat(relu(x)),
                (Op::Flatten, Act::Map(x)) => Act::Flat(flatten(x)),
                (Op::Dropout { .. }, a) => {
                    di += 1;
                    match a {
                        Act::Map(x) => Act::Map(self.dropouts[di - 1].forward(x)),
                        Act::Flat(x) => Act::Flat(self.dropouts[di - 1].forward(x)),
                    }
                }
                (Op::Linear { .. }, Act::Flat(x)) => {
                    li += 1;
                    Act::Flat(self.linears[li - 1].forward(x))
                }
                (op, _) => {
                    // Plans come from this crate's architectures, which always flatten
                    // before the first dense layer; anything else is a bug here.
                    panic!("layer plan applies {op:?} to an activation of the wrong rank")
                }
            };
        }
        match a {
            Act::Map(x) => flatten(x),
            Act::Flat(x) => x,
        }
    }
}

/// `[n, 1, h, w]` -> `[n, 2h]`: per-band mean over `w`, then the population standard
/// deviation (as `hark_kernels::band_stats_into`).
fn band_stats(x: Tensor<4>) -> Tensor<2> {
    let [n, c, h, _] = x.dims();
    let mean = x.clone().mean_dim(3);
    let dev = x - mean.clone();
    let std = (dev.clone() * dev).mean_dim(3).sqrt();
    Tensor::cat(vec![mean.reshape([n, c * h]), std.reshape([n, c * h])], 1)
}

fn flatten(x: Tensor<4>) -> Tensor<2> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c * h * w])
}
