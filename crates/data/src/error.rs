//! Errors and validation problems for datasets.
//!
//! Flow: **datasets** (this crate) feed audio -> features -> model -> train/eval. A [`Problem`] is a
//! non-fatal finding about one row or file (the row is skipped, the rest is used); a [`DataError`]
//! stops the job and says how to recover.

use std::fmt;
use std::path::PathBuf;

/// What is wrong with one row, file or class. Every problem means "skipped", never "guessed".
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The audio file named by a row (or found on disk) does not exist.
    MissingFile,
    /// The row could not be read (wrong column count, empty label, bad number, unknown split).
    UnreadableRow {
        /// What was wrong, naming the column and value.
        reason: String,
    },
    /// A segment whose start is not before its end, or is negative.
    BadSegment {
        /// Start in seconds of the source file.
        start: f64,
        /// End in seconds of the source file.
        end: f64,
    },
    /// The same file and segment appear twice; the later row is skipped.
    Duplicate {
        /// Line of the first occurrence, when known.
        first_line: Option<usize>,
    },
    /// A class named by the metadata (or a class folder) has no usable clip; it is left out of
    /// `Dataset::classes`.
    EmptyClass {
        /// The class name.
        class: String,
    },
    /// An audio file outside any class folder, or with no Audacity label track; it is ignored.
    Unlabelled,
}

/// One non-fatal finding, with where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The metadata file (manifest, label track) the problem was found in, if any.
    pub source: Option<PathBuf>,
    /// 1-based line in `source`, when the problem is about one row.
    pub line: Option<usize>,
    /// The audio file concerned (resolved against the dataset root), if any.
    pub path: Option<PathBuf>,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.line) {
            (Some(s), Some(l)) => write!(f, "{}:{l}: ", s.display())?,
            (Some(s), None) => write!(f, "{}: ", s.display())?,
            (None, Some(l)) => write!(f, "line {l}: ")?,
            (None, None) => {}
        }
        let path = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        match &self.kind {
            ProblemKind::MissingFile => write!(f, "missing audio file {path} (row skipped)"),
            ProblemKind::UnreadableRow { reason } => {
                write!(f, "unreadable row: {reason} (skipped)")
            }
            ProblemKind::BadSegment { start, end } => write!(
                f,
                "bad segment {start}..{end} s for {path}: start must be >= 0 and < end (skipped)"
            ),
            ProblemKind::Duplicate { first_line } => match first_line {
                Some(l) => write!(f, "duplicate of line {l}: {path} (skipped)"),
                None => write!(f, "duplicate clip {path} (skipped)"),
            },
            ProblemKind::EmptyClass { class } => {
                write!(
                    f,
                    "class {class:?} has no usable clip (left out of the class list)"
                )
            }
            ProblemKind::Unlabelled => write!(f, "audio file {path} has no label (ignored)"),
        }
    }
}

/// Counts problems by kind, for one-line summaries ("12 missing files, 1 bad row").
pub fn summarize(problems: &[Problem]) -> String {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for p in problems {
        let name = match p.kind {
            ProblemKind::MissingFile => "missing files",
            ProblemKind::UnreadableRow { .. } => "unreadable rows",
            ProblemKind::BadSegment { .. } => "bad segments",
            ProblemKind::Duplicate { .. } => "duplicates",
            ProblemKind::EmptyClass { .. } => "empty classes",
            ProblemKind::Unlabelled => "unlabelled files",
        };
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    counts
        .iter()
        .map(|(n, c)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fatal dataset error. Variants say what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The path does not exist or cannot be listed.
    #[error("cannot read {path}; check the path and its permissions")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Nothing at the path looks like a dataset this crate knows.
    #[error(
        "cannot tell what dataset {path} is: {reason}. Expected a folder with one subfolder per \
         class, a CSV manifest with header path,label[,fold|split][,start,end], a folder holding \
         labels.csv, an ESC-50 root (meta/esc50.csv), an UrbanSound8K root \
         (metadata/UrbanSound8K.csv), or audio files with Audacity label tracks (name.txt)"
    )]
    UnknownFormat {
        /// The path given.
        path: PathBuf,
        /// What was looked for and not found.
        reason: String,
    },
    /// A CSV file lacks a required column.
    #[error(
        "{file}: header has no {column:?} column (found: {found}); add it or rename the column"
    )]
    MissingColumn {
        /// The CSV file.
        file: PathBuf,
        /// The missing column name.
        column: String,
        /// The header that was found, comma-separated.
        found: String,
    },
    /// A CSV file could not be parsed at all (not valid UTF-8, unreadable header).
    #[error("{file}: cannot parse CSV; save it as UTF-8 CSV with a header row")]
    Csv {
        /// The CSV file.
        file: PathBuf,
        /// The parser error.
        #[source]
        source: csv::Error,
    },
    /// After skipping every problem row, no clip is left.
    #[error("dataset {path} has no usable clip ({}); fix the problems listed", summarize(.problems))]
    NoUsableClips {
        /// The dataset path.
        path: PathBuf,
        /// Everything that was skipped, with line numbers.
        problems: Vec<Problem>,
    },
    /// Training needs at least two classes.
    #[error(
        "dataset {path} has {} usable class(es) ({classes:?}); a classifier needs at least two",
        classes.len()
    )]
    TooFewClasses {
        /// The dataset path.
        path: PathBuf,
        /// The classes found.
        classes: Vec<String>,
        /// Everything that was skipped, with line numbers.
        problems: Vec<Problem>,
    },
    /// The feature configuration was rejected by hark-features.
    #[error("invalid feature configuration: {0}")]
    Features(#[from] hark_features::FeatureError),
    /// The feature cache directory cannot be created.
    #[error(
        "cannot create feature cache directory {path}; pick another --cache-dir or disable the cache"
    )]
    CacheDir {
        /// The cache directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The worker thread pool could not be built.
    #[error("cannot start {threads} worker threads: {reason}; use fewer threads")]
    ThreadPool {
        /// Requested thread count.
        threads: usize,
        /// The rayon error message.
        reason: String,
    },
}

/// An error and its causes on one line (`message: cause: cause`), for reports that keep
/// errors as text (e.g. [`crate::FailedClip::error`]). Error types here print only their own
/// message; their causes travel in `source()`.
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
