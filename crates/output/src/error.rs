//! Errors of the output writers (predict/stream stage): each names the file and says what to do.

use std::path::PathBuf;

use crate::{OutputFormat, RecordKind};

/// What went wrong while writing predictions. Each variant names the file involved and says
/// how to recover; nothing is left half-written (outputs are published atomically).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The output file exists and replacing it was not asked for.
    #[error(
        "{} already exists: pass --overwrite to replace it, or --skip-existing to skip audio files whose output exists",
        path.display()
    )]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// Reading or writing a file or stream failed (missing or read-only folder, full disk, a
    /// closed pipe: see the source's `kind()`).
    #[error("cannot write {}: {source}; check that the folder exists, is writable and has space", path.display())]
    Io {
        /// The destination (`<stdout>` for standard output).
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The encoder of a format failed on the records given (the message says why).
    #[error("cannot write {format} to {}: {reason}", path.display())]
    Encode {
        /// The format.
        format: OutputFormat,
        /// The destination (`<stdout>` for standard output).
        path: PathBuf,
        /// The encoder's message.
        reason: String,
    },
    /// Audacity and Raven files describe one audio file each: they need an output folder.
    #[error(
        "{format} files are written one per audio file: give an output folder instead of one output stream, or choose table, csv, jsonl or parquet"
    )]
    NeedsFolder {
        /// The format.
        format: OutputFormat,
    },
    /// The terminal table is for one stream, not for files per audio file.
    #[error(
        "{format} output is for one stream (a terminal or one file): choose csv, jsonl, parquet, audacity or raven for one file per audio file"
    )]
    NeedsStream {
        /// The format.
        format: OutputFormat,
    },
    /// The format was left out of this build.
    #[error(
        "this build of hark has no {format} output: rebuild with the `{format}` cargo feature, or choose csv or jsonl"
    )]
    NotBuilt {
        /// The format.
        format: OutputFormat,
    },
    /// A Raven selection table needs the frequency band its selections cover.
    #[error(
        "Raven selection tables need the frequency band of the selections (low < high, in Hz), e.g. the model's fmin..fmax; got {low}..{high}"
    )]
    NeedsBand {
        /// The low edge given (NaN when none).
        low: f64,
        /// The high edge given (NaN when none).
        high: f64,
    },
    /// A record of another kind than the writer was made for (a bug in the caller).
    #[error(
        "a {got} record was given to a writer of {expected} records; make one writer per record kind"
    )]
    WrongKind {
        /// The writer's kind.
        expected: RecordKind,
        /// The record's kind.
        got: RecordKind,
    },
    /// A window record whose probabilities do not match the model's classes.
    #[error(
        "{file}: a window record has {got} class probabilities but the writer has {expected} classes; pass the model's class names to the writer"
    )]
    ClassCount {
        /// The audio file of the record.
        file: String,
        /// The writer's class count.
        expected: usize,
        /// The record's probability count.
        got: usize,
    },
    /// Per-audio-file writer calls out of order (a bug in the caller).
    #[error("{what}: call begin_file(audio) before its records and end_file() after them")]
    OutOfOrder {
        /// What was called when.
        what: String,
    },
}

impl OutputError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: path.into(),
            source,
        }
    }
}
