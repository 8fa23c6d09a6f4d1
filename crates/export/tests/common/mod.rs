//! Model files shared by the export tests: burn's seeded initial weights with BatchNorm
//! statistics made far from the identity, so that folding is exercised.

use hark_features::FeatureConfig;
use hark_infer::{DecisionConfig, HeldOut, ModelFile, ModelMeta, ModelWeights, TrainingSummary};
use hark_model::ModelConfig;
use hark_model::burn::tensor::Device;

/// A model of architecture `cfg` on `features` windows with `classes` classes.
pub fn model(cfg: ModelConfig, features: FeatureConfig, classes: usize) -> ModelFile {
    let (mels, frames) = (features.n_mels, features.window_frames);
    let device = Device::flex();
    device.seed(7);
    let net = cfg
        .init(mels, frames, classes, &device)
        .expect("init model");
    let mut weights = ModelWeights::from_module(&net);
    let mut z = 0x9E37_79B9_u64;
    let mut next = move || {
        z = z.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (z >> 40) as f32 / (1u64 << 24) as f32
    };
    for t in &mut weights.tensors {
        for v in &mut t.data {
            if t.name.ends_with("running_var") || t.name.ends_with("gamma") {
                *v = 0.5 + next();
            } else if t.name.ends_with("running_mean") || t.name.ends_with("beta") {
                *v = next() - 0.5;
            }
        }
    }
    ModelFile {
        meta: meta(cfg, features, classes),
        weights,
    }
}

/// Metadata of a `model` on `features` windows with `classes` classes (named `class "i"`,
/// quotes included, so that exporters must escape them).
pub fn meta(model: ModelConfig, features: FeatureConfig, classes: usize) -> ModelMeta {
    let (mels, frames) = (features.n_mels, features.window_frames);
    ModelMeta {
        model,
        features,
        class_names: (0..classes).map(|c| format!("class \"{c}\"")).collect(),
        decision: DecisionConfig::default(),
        input_shape: [1, mels, frames],
        held_out: HeldOut::default(),
        training: TrainingSummary::default(),
        input_profile: None,
    }
}

/// Default features at `mels x frames`.
#[allow(dead_code)] // used by onnx.rs only
pub fn features(mels: usize, frames: usize) -> FeatureConfig {
    FeatureConfig {
        n_mels: mels,
        window_frames: frames,
        ..Default::default()
    }
}
