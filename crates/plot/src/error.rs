//! Errors of the picture stage (beside the flow: features/train/eval -> **pictures**): every
//! variant names what was being drawn and says how to recover.

use std::path::PathBuf;

/// Everything that can go wrong while drawing or writing a picture.
#[non_exhaustive]
#[derive(thiserror::Error, Debug)]
pub enum PlotError {
    /// The data or picture size cannot be drawn as given: pass what `expected` names.
    #[error("cannot draw {what}: expected {expected}, got {actual}")]
    BadInput {
        /// Which input.
        what: &'static str,
        /// What it must be.
        expected: String,
        /// What it was.
        actual: String,
    },
    /// The feature configuration that describes the spectrogram's axes is invalid: fix the
    /// parameter named in the source error.
    #[error("invalid feature configuration for the spectrogram axes")]
    Config(#[from] hark_features::FeatureError),
    /// plotters or the PNG encoder failed; the message says why (a bug or out of memory, not
    /// bad input).
    #[error("could not draw {what}: {message}")]
    Draw {
        /// Which picture.
        what: &'static str,
        /// The backend's message.
        message: String,
    },
    /// Writing the picture failed; nothing was left at `path` (writes are atomic). Check that
    /// the folder exists and is writable, then retry.
    #[error("could not write {path}")]
    Write {
        /// Destination file.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl PlotError {
    /// A [`PlotError::Draw`] maker for `map_err`.
    pub(crate) fn draw<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> PlotError {
        move |e| PlotError::Draw {
            what,
            message: e.to_string(),
        }
    }
}
