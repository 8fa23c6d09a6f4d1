//! Errors of the model stage (architecture settings that cannot be built).

/// Why a model could not be planned or built. Every variant is a settings problem:
/// change the named value and try again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A size that must be positive is zero (e.g. `n_classes`, `n_mels`, a filter count).
    #[error("model setting `{name}` must be > 0 (got {value})")]
    ZeroSize {
        /// Setting name.
        name: &'static str,
        /// The value given.
        value: usize,
    },
    /// A probability outside `[0, 1)`.
    #[error("model setting `{name}` must be in [0, 1) (got {value})")]
    BadProbability {
        /// Setting name.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A layer name that is not in the model's plan (e.g. in a list of layers to freeze).
    #[error("the model has no layer `{name}`; its layers are {known}")]
    UnknownLayer {
        /// The name given.
        name: String,
        /// The plan's layer names, comma-separated.
        known: String,
    },
    /// A real-valued setting outside its range.
    #[error("model setting `{name}` {rule} (got {value})")]
    BadSetting {
        /// Setting name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What it must be.
        rule: &'static str,
    },
    /// The input is too small for this architecture: a layer would get no output.
    #[error(
        "input {n_mels}x{frames} is too small for layer `{layer}`; use more mels/frames or smaller kernels/strides"
    )]
    InputTooSmall {
        /// Input mel bands.
        n_mels: usize,
        /// Input frames.
        frames: usize,
        /// The first layer that could not fit.
        layer: String,
    },
}
