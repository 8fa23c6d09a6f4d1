//! The model file (train stage output; predict, stream, export and embed input): one
//! safetensors file holding the weights plus a `__metadata__` entry with everything
//! prediction needs — architecture, feature settings, class names, clip-decision settings,
//! input shape, what was held out, and a training summary.
//!
//! Layout: standard safetensors (8-byte header length, JSON header, raw little-endian f32
//! data), so any safetensors reader can open it. The header's `__metadata__` holds
//! `"format": "hark-model"`, `"format_version": "3"` and `"hark": <ModelMeta as JSON>`.
//! Tensor names are the layer plan's ([`hark_model::LayerPlan::params`]).
//!
//! Reading is strict: the numbers that were trained are the numbers that run, so a missing
//! or unknown field in `features` or `decision` is an error naming it, never a default
//! filled in silently. Version 1 files (hark 0.1 before the layer plan) are migrated
//! explicitly: tensor names are mapped to the plan's, and the fields version 1 did not have
//! get the values version 1 behaved with. Format 3 added the training clips' [`InputProfile`]
//! (for warnings only, never for numbers): files of format 1 and 2 load without one. Files
//! are written atomically (hark-io).

use std::collections::HashMap;
use std::path::Path;

use hark_features::FeatureConfig;
use hark_model::ModelConfig;
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::migrate;
use crate::{DecisionConfig, HeldOut, InferError, InputProfile, ModelWeights, NamedTensor};

/// Value of `__metadata__.format` in every hark model file.
pub const FORMAT_NAME: &str = "hark-model";
/// Newest model-file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 3;

/// How the model was trained (for reports; prediction does not need it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TrainingSummary {
    /// Epochs run.
    pub epochs: usize,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Validation window accuracy at the best epoch, if validated.
    pub val_acc: Option<f32>,
    /// Dataset name or path.
    pub dataset: String,
    /// Seed used.
    pub seed: u64,
    /// UTC date and time of saving, `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// Version of hark that trained it.
    pub hark_version: String,
    /// Full training settings as hark-train's `TrainConfig` JSON, when known (kept as JSON
    /// so the inference core does not depend on the trainer).
    pub train_config: Option<Value>,
    /// Training clips left out because every window was below the silence gate.
    pub silent_clips: usize,
}

/// Everything a model file says besides its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    /// Architecture and its settings.
    pub model: ModelConfig,
    /// Feature extraction the model was trained on (prediction must use the same).
    pub features: FeatureConfig,
    /// Class names, index = model output.
    pub class_names: Vec<String>,
    /// How window predictions become clip decisions.
    pub decision: DecisionConfig,
    /// Input shape per window `[channels = 1, n_mels, frames]`.
    pub input_shape: [usize; 3],
    /// Which clips were trained on, validated on and held out for testing.
    pub held_out: HeldOut,
    /// Training summary.
    pub training: TrainingSummary,
    /// The training clips' recording rates, durations and levels, for warnings when an input
    /// is far from them. `None` in files before format 3 (and then nothing is checked).
    #[serde(default)]
    pub input_profile: Option<InputProfile>,
}

impl ModelMeta {
    /// The layer plan of this model.
    pub fn plan(&self) -> Result<hark_model::LayerPlan, InferError> {
        let [_, n_mels, frames] = self.input_shape;
        Ok(self.model.plan(n_mels, frames, self.class_names.len())?)
    }

    /// Check the parts that prediction relies on: feature settings valid and matching the
    /// input shape, at least one class, a valid decision threshold.
    pub fn validate(&self) -> Result<(), InferError> {
        let bad = |field: &str, reason: String| InferError::BadField {
            field: field.to_string(),
            reason,
        };
        self.features
            .validate()
            .map_err(|e| bad("features", e.to_string()))?;
        let [c, n_mels, frames] = self.input_shape;
        if [c, n_mels, frames] != [1, self.features.n_mels, self.features.window_frames] {
            return Err(bad(
                "input_shape",
                format!(
                    "{:?} does not match the features (1 x {} mels x {} frames)",
                    self.input_shape, self.features.n_mels, self.features.window_frames
                ),
            ));
        }
        if self.class_names.is_empty() {
            return Err(bad("class_names", "is empty".into()));
        }
        self.decision
            .validate()
            .map_err(|e| bad("decision.threshold", e.to_string()))?;
        Ok(())
    }
}

/// A model file in memory: metadata plus weights.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// Metadata.
    pub meta: ModelMeta,
    /// Weights (all float tensors, BatchNorm running statistics included).
    pub weights: ModelWeights,
}

impl ModelFile {
    /// Serialise to safetensors bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, InferError> {
        let meta_json = serde_json::to_string(&self.meta)
            .map_err(|e| InferError::Backend(format!("model metadata: {e}")))?;
        let info: HashMap<String, String> = [
            ("format".to_string(), FORMAT_NAME.to_string()),
            ("format_version".to_string(), FORMAT_VERSION.to_string()),
            ("hark".to_string(), meta_json),
        ]
        .into();
        let bytes: Vec<(String, Vec<u8>, &NamedTensor)> = self
            .weights
            .tensors
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    t,
                )
            })
            .collect();
        let mut views = Vec::with_capacity(bytes.len());
        for (name, data, t) in &bytes {
            let view = TensorView::new(Dtype::F32, t.shape.clone(), data)
                .map_err(|e| InferError::Backend(format!("tensor `{name}`: {e}")))?;
            views.push((name.clone(), view));
        }
        safetensors::serialize(views, Some(info))
            .map_err(|e| InferError::Backend(format!("safetensors: {e}")))
    }

    /// Parse safetensors bytes; `path` is only used in error values.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ModelFile, InferError> {
        let not_model = |reason: String| InferError::NotAModel {
            path: path.to_path_buf(),
            reason,
        };
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| {
            not_model(format!(
                "cannot read a safetensors header ({e}); the file may be truncated"
            ))
        })?;
        let info = header.metadata().clone().unwrap_or_default();
        if info.get("format").map(String::as_str) != Some(FORMAT_NAME) {
            return Err(not_model(
                "no `format: hark-model` entry in its safetensors metadata".into(),
            ));
        }
        let version: u32 = info
            .get("format_version")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| not_model("missing or unreadable format_version".into()))?;
        if version == 0 {
            return Err(not_model("format_version 0 does not exist".into()));
        }
        if version > FORMAT_VERSION {
            return Err(InferError::NewerFormat {
                path: path.to_path_buf(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let mut meta: Value =
            serde_json::from_str(info.get("hark").map(String::as_str).unwrap_or(""))
                .map_err(|e| not_model(format!("metadata is not JSON: {e}")))?;
        let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| {
            not_model(format!(
                "tensor data unreadable ({e}); the file may be truncated"
            ))
        })?;
        let mut tensors: Vec<NamedTensor> = Vec::with_capacity(st.len());
        for (name, view) in st.tensors() {
            if view.dtype() != Dtype::F32 {
                return Err(not_model(format!(
                    "tensor `{name}` is {:?}, expected F32",
                    view.dtype()
                )));
            }
            let data: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            tensors.push(NamedTensor {
                name,
                shape: view.shape().to_vec(),
                data,
            });
        }
        if version == 1 {
            migrate::v1_meta(&mut meta)?;
            migrate::v1_tensor_names(&meta, &mut tensors)?;
        }
        migrate::check_fields(&meta)?;
        let mut meta: ModelMeta =
            serde_json::from_value(meta).map_err(|e| InferError::BadField {
                field: "(metadata)".into(),
                reason: e.to_string(),
            })?;
        meta.validate()?;
        // Overlap checks binary-search these; a file edited by hand may have them unsorted.
        let h = &mut meta.held_out;
        for keys in [&mut h.trained, &mut h.validated, &mut h.tested] {
            keys.sort_unstable();
        }
        // Sorted by name, like `ModelWeights::from_module`.
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ModelFile {
            meta,
            weights: ModelWeights { tensors },
        })
    }

    /// Write atomically to `path` (conventionally `*.hark`).
    pub fn save(&self, path: &Path) -> Result<(), InferError> {
        hark_io::write_atomic(path, &self.to_bytes()?).map_err(|e| InferError::io(path, e))
    }

    /// Read and check a model file. The weights are checked against the architecture when
    /// a [`crate::Predictor`] is built from it.
    pub fn load(path: &Path) -> Result<ModelFile, InferError> {
        let bytes = std::fs::read(path).map_err(|e| InferError::io(path, e))?;
        ModelFile::from_bytes(&bytes, path)
    }
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
