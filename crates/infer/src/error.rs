//! Errors of the inference core (predict stage: model file, prediction, clip decisions).

use std::path::PathBuf;

/// What went wrong while loading a model, predicting or deciding. Each variant names the
/// file, field or value involved and says what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InferError {
    /// The model settings do not fit the input shape or class count.
    #[error("model cannot be built: {0}")]
    Model(#[from] hark_model::ModelError),
    /// The model file's feature settings are not valid (a damaged or hand-edited file).
    #[error("the model's feature settings are not valid: {0}")]
    Features(#[from] hark_features::FeatureError),
    /// Window data of the wrong size for the model: the features do not match the model.
    #[error(
        "input windows do not match the model: expected {expected} values ({what}), got {actual}; extract features with the model's own FeatureConfig"
    )]
    InputShape {
        /// Human description of the expected layout.
        what: String,
        /// Expected number of values.
        expected: usize,
        /// Number of values given.
        actual: usize,
    },
    /// The file is not a hark model (wrong format, truncated or corrupt). The path is not
    /// part of the message: callers name the file.
    #[error("not a hark model file: {reason}")]
    NotAModel {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A metadata field of the model file is missing, unknown or invalid. Nothing is filled
    /// in silently: a model must run with exactly the settings it was trained with.
    #[error("model metadata field `{field}`: {reason}")]
    BadField {
        /// Dotted path of the field, e.g. `features.n_mels`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The model file was written by a newer hark; upgrade hark to read it.
    #[error(
        "model format version {found} is newer than this hark supports ({supported}); upgrade hark"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// Stored weights do not fit the stored architecture (file corrupt or edited).
    #[error(
        "weights do not match the architecture: tensor `{name}`: expected shape {expected:?}, found {actual:?}"
    )]
    WeightMismatch {
        /// Tensor name (module path).
        name: String,
        /// Shape the architecture needs (empty when the tensor is unexpected).
        expected: Vec<usize>,
        /// Shape found (empty when the tensor is missing).
        actual: Vec<usize>,
    },
    /// A decision threshold outside `[0, 1]`.
    #[error("threshold {value} is not a probability in [0, 1]; pass e.g. 0.5, or no threshold")]
    BadThreshold {
        /// The value given.
        value: f32,
    },
    /// A flat probability buffer whose length is not a multiple of the class count.
    #[error("{what}: {len} values is not a whole number of rows of {n_classes} classes")]
    ShapeMismatch {
        /// Which buffer.
        what: &'static str,
        /// Its length.
        len: usize,
        /// Classes per row.
        n_classes: usize,
    },
    /// A buffer of the wrong length.
    #[error("{what}: expected {expected} values, got {actual}")]
    LengthMismatch {
        /// Which buffer.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// An environment variable hark reads holds a value it does not know.
    #[error("{name}={value:?} is not one of: {expected}; unset it or pick one")]
    BadEnv {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// The values it takes.
        expected: &'static str,
    },
    /// The backend returned data that could not be read back as f32.
    #[error("model output could not be read: {0}")]
    Backend(String),
    /// Reading or writing a file failed (the cause says why; callers name the file).
    #[error("cannot read or write the file")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl InferError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        InferError::Io {
            path: path.into(),
            source,
        }
    }

    /// The file this error is about, if any (callers print it once, before the message).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            InferError::NotAModel { path, .. }
            | InferError::NewerFormat { path, .. }
            | InferError::Io { path, .. } => Some(path),
            _ => None,
        }
    }
}
