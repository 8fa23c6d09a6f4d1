//! Errors of the features stage (audio -> **features** -> model): every variant names the
//! bad value or file and says how to recover.

use std::path::PathBuf;

/// Everything that can go wrong while computing or writing features.
#[non_exhaustive]
#[derive(thiserror::Error, Debug)]
pub enum FeatureError {
    /// A configuration value is out of range: fix the value named in the message.
    #[error("invalid feature parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name in librosa's vocabulary (`n_fft`, `fmax`, ...).
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What the value must satisfy.
        reason: String,
    },
    /// An input array has the wrong shape for the operation: pass the shape named here.
    #[error("shape mismatch for {what}: expected {expected}, got {actual}")]
    ShapeMismatch {
        /// Which input.
        what: &'static str,
        /// Expected shape or length.
        expected: String,
        /// Actual shape or length.
        actual: String,
    },
    /// Writing an output file failed; nothing was left at `path` (writes are atomic).
    /// Check that the folder exists and is writable, then retry.
    #[error("could not write {path}")]
    Write {
        /// Destination file.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl FeatureError {
    /// Shorthand for [`FeatureError::InvalidParameter`].
    pub(crate) fn invalid(
        name: &'static str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        FeatureError::InvalidParameter {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
