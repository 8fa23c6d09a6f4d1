//! Errors of the training and prediction stage.

use std::path::PathBuf;

/// What went wrong while training, saving, loading or predicting. Each variant names the
/// file or value involved and says what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A setting is out of range (fix the named setting).
    #[error("invalid training setting `{name}`: {reason}")]
    BadSetting {
        /// Setting name.
        name: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The training data cannot be used as given (empty, labels out of range, ...).
    #[error("invalid training data: {0}")]
    BadData(String),
    /// The model settings do not fit the input shape or class count.
    #[error("model cannot be built: {0}")]
    Model(#[from] hark_model::ModelError),
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
    /// Loading, saving or running a model failed (see the inner error).
    #[error(transparent)]
    Infer(#[from] hark_infer::InferError),
    /// Reading or writing a file failed (the cause says why).
    #[error("cannot read or write {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Drawing a picture failed.
    #[error("{path}: could not draw: {reason}")]
    Plot {
        /// The picture file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn setting(name: &'static str, reason: impl Into<String>) -> Self {
        TrainError::BadSetting {
            name,
            reason: reason.into(),
        }
    }
}
