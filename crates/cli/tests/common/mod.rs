//! Helpers shared by the CLI test files: running the binary, generated 16-bit PCM WAV audio
//! and small model files with fixed pseudo-random weights.

#![allow(dead_code)] // each test file uses some of these

use std::path::Path;
use std::process::{Command, Output};

use hark_infer::{
    DecisionConfig, HeldOut, ModelFile, ModelMeta, ModelWeights, NamedTensor, TrainingSummary,
};
use hark_model::{ModelConfig, StrideDsConfig};

/// `hark ARGS` on the binary under test.
pub fn hark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .output()
        .expect("run hark")
}

/// Exit status, standard output and standard error, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A path as `&str` for command arguments (test paths are UTF-8).
pub fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// A 16-bit mono PCM WAV file holding `samples` at `sr` Hz.
pub fn write_wav(path: &Path, sr: u32, samples: &[i16]) {
    let data_len = (samples.len() * 2) as u32;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&sr.to_le_bytes());
    b.extend_from_slice(&(sr * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, b).expect("write wav");
}

/// `seconds` of a `freq` Hz sine at `sr` Hz, amplitude 10,000 of 32,767.
pub fn sine(sr: u32, seconds: f64, freq: f64) -> Vec<i16> {
    let n = (seconds * f64::from(sr)).round() as usize;
    (0..n)
        .map(|i| {
            let v = (i as f64 * freq * std::f64::consts::TAU / f64::from(sr)).sin();
            (v * 10_000.0) as i16
        })
        .collect()
}

/// Feature settings of the small test models: `sr` Hz, 8 mels, 8-frame windows, 50% overlap.
pub fn tiny_features(sr: u32) -> hark_features::FeatureConfig {
    let base = if sr == 8000 {
        hark_features::FeatureConfig::speech()
    } else {
        hark_features::FeatureConfig::default()
    };
    hark_features::FeatureConfig {
        sr,
        n_mels: 8,
        window_frames: 8,
        ..base
    }
}

/// A deterministic value in [-1, 1) for weight `i` of tensor `k`.
fn noise(i: usize, k: usize) -> f32 {
    let mut z = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (k as u64 + 1);
    z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

/// A small Stride-DS model file (fixed pseudo-random weights, so window probabilities vary
/// with the input) whose classes are `names`.
pub fn model_file(
    path: &Path,
    names: &[&str],
    threshold: Option<f32>,
    features: hark_features::FeatureConfig,
) {
    let cfg = ModelConfig::StrideDs(StrideDsConfig {
        filters: 2,
        strides: vec![[2, 2]],
        dense: 0,
        ..Default::default()
    });
    let (mels, frames) = (features.n_mels, features.window_frames);
    let plan = cfg.plan(mels, frames, names.len()).expect("plan");
    let mut tensors: Vec<NamedTensor> = plan
        .params()
        .into_iter()
        .enumerate()
        .map(|(k, p)| {
            let n: usize = p.shape.iter().product();
            let data = (0..n)
                .map(|i| {
                    if p.name.ends_with("running_var") || p.name.ends_with("gamma") {
                        1.0 + 0.5 * noise(i, k).abs()
                    } else {
                        noise(i, k)
                    }
                })
                .collect();
            NamedTensor {
                data,
                name: p.name,
                shape: p.shape,
            }
        })
        .collect();
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    let file = ModelFile {
        meta: ModelMeta {
            model: cfg,
            features,
            class_names: names.iter().map(|s| s.to_string()).collect(),
            decision: DecisionConfig {
                threshold,
                ..Default::default()
            },
            input_shape: [1, mels, frames],
            held_out: HeldOut::default(),
            training: TrainingSummary::default(),
            input_profile: None,
        },
        weights: ModelWeights { tensors },
    };
    file.save(path).expect("save model");
}

/// A recording at `sr` with tones that come and go (440 Hz and 1250 Hz in turns, `phase`
/// shifting the pattern), with faint noise between them.
pub fn scene(sr: u32, seconds: f64, phase: f64) -> Vec<i16> {
    let n = (seconds * f64::from(sr)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(sr);
            let on = (t * 0.7 + phase).sin() > 0.0;
            let f = if ((t + phase) as usize / 3).is_multiple_of(2) {
                440.0
            } else {
                1250.0
            };
            let v = if on {
                0.4 * (t * f * std::f64::consts::TAU).sin()
            } else {
                0.01 * ((i * 7919 % 1000) as f64 / 500.0 - 1.0)
            };
            (v * 32767.0) as i16
        })
        .collect()
}
