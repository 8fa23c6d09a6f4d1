//! Errors of the evaluation stage (train/eval in the flow audio -> features -> model ->
//! **train/eval** -> predict/stream -> export). Each variant says what to fix.

use std::path::PathBuf;

/// Everything that can go wrong while deciding, scoring or writing a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// Two inputs that must describe the same clips (or windows) have different lengths.
    /// Recover: pass one entry per clip in both, in the same order.
    #[error(
        "{what}: expected {expected} entries, got {actual}; pass one entry per clip in the same order"
    )]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },

    /// A flat buffer is not a whole number of rows of `n_classes`.
    /// Recover: check the model's class count against the probabilities it produced.
    #[error(
        "{what}: {len} values is not a multiple of n_classes = {n_classes}; check the class count"
    )]
    ShapeMismatch {
        what: &'static str,
        len: usize,
        n_classes: usize,
    },

    /// A class index is outside `0..n_classes`.
    /// Recover: the labels were made with a different class list than the one passed here.
    #[error(
        "{what}: class index {index} at position {position} is out of range (n_classes = {n_classes}); labels and class list disagree"
    )]
    ClassOutOfRange {
        what: &'static str,
        index: usize,
        position: usize,
        n_classes: usize,
    },

    /// A decision threshold outside `[0, 1]` (or NaN): no probability could be compared to it.
    /// Recover: pass a probability such as 0.5, or no threshold.
    #[error("threshold {value} is not a probability in [0, 1]; pass e.g. 0.5, or no threshold")]
    BadThreshold { value: f32 },

    /// Nothing to evaluate (no clips, no classes or no folds).
    /// Recover: check that the dataset split is not empty.
    #[error("{what} is empty; nothing to evaluate")]
    Empty { what: &'static str },

    /// Folds of a cross-validation disagree on the class list.
    /// Recover: evaluate every fold with the same class list (the dataset's, not the fold's).
    #[error(
        "fold {fold:?} has classes {actual:?} but the first fold has {expected:?}; use one class list for all folds"
    )]
    ClassListMismatch {
        fold: String,
        expected: Vec<String>,
        actual: Vec<String>,
    },

    /// A scoring setting is out of range, or the class list repeats a name.
    /// Recover: use the value the message suggests (the defaults are DCASE's).
    #[error("{field} = {value} is out of range: expected {expected}")]
    BadSetting {
        field: &'static str,
        value: String,
        expected: &'static str,
    },

    /// An event or recording of a sound event evaluation cannot be scored.
    /// Recover: fix the event list (or the class list) the message names.
    #[error("{what}: {reason}")]
    BadEvents { what: String, reason: String },

    /// A report file could not be written. Nothing partial is left at `path`: files are
    /// written to a temporary file in the same folder and renamed into place.
    /// Recover: check the folder exists and is writable, and that the disk is not full.
    #[error("cannot write {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Encoding a report (JSON, CSV, PNG) failed.
    #[error("cannot encode {path}: {message}")]
    Encode { path: PathBuf, message: String },

    /// Drawing a picture failed (plotters).
    #[error("cannot draw {what}: {message}")]
    Draw { what: &'static str, message: String },
}
