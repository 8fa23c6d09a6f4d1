//! predict/stream stage: prediction records -> files people open (tables, label tracks, Parquet)
//!
//! Flow: audio -> features -> model -> train/eval -> **predict/stream** (this crate writes its
//! results) -> export.
//!
//! `hark predict` produces three kinds of [`Record`] per audio file while it streams through
//! a recording: one [`ClipRecord`] (the decision for the file), [`WindowRecord`]s (one per
//! analysis window) and [`EventRecord`]s (detected sound events). A writer takes records of
//! one [`RecordKind`], one at a time, and keeps nothing but the current row (Parquet: the
//! current batch of at most 4096 rows and the row group being encoded), so memory stays
//! constant over long recordings.
//!
//! | format ([`OutputFormat`]) | what it is | destinations |
//! |---|---|---|
//! | `table` | aligned columns for a terminal, probabilities to 3 decimals | stream |
//! | `csv` | header row, then one row per record | stream, per audio file |
//! | `jsonl` | one JSON object per line, flushed line by line | stream, per audio file |
//! | `parquet` | typed columns, Snappy, 64k-row row groups (feature `parquet`) | stream, per audio file |
//! | `audacity` | Audacity label track | per audio file |
//! | `raven` | Raven Pro selection table | per audio file |
//!
//! Columns (CSV and Parquet; JSON lines uses the same names):
//! - clip: `file, label, probability, windows, duration_s, top1, top1_p, ... topK, topK_p`
//! - window: `file, start_s, end_s, label, probability`, then one column per class, named by
//!   class (see [`class_columns`] for the rare clash)
//! - event: `file, label, start_s, end_s, mean, peak`
//!
//! Text formats round probabilities to [`PROBABILITY_DECIMALS`] (6) and times to
//! [`TIME_DECIMALS`] (3, milliseconds); Parquet keeps the values as computed. Label tracks
//! and selection tables are described in their module (times to 6 decimals, label text
//! [`label_text`]).
//!
//! Destinations: a [`StreamWriter`] (standard output, any writer, or one file for the whole
//! run) or a [`PerFileWriter`] (one file per audio file under an output folder mirroring the
//! input folders, see [`output_path`]). Every file is written to a temporary file and renamed
//! into place when complete, so an interrupted run leaves no partial file, and an existing
//! file is never replaced unless [`OutputSpec::overwrite`] is set.
//!
//! ```
//! use hark_output::{OutputFormat, OutputSpec, Record, RecordKind, StreamWriter, WindowRecord};
//!
//! let dir = tempfile::tempdir()?;
//! let classes = vec!["dog".to_string(), "siren".to_string()];
//! let spec = OutputSpec::new(OutputFormat::Csv, RecordKind::Window, &classes);
//! let path = dir.path().join("windows.csv");
//! let mut out = StreamWriter::create(&path, &spec)?;
//! out.write(&Record::Window(WindowRecord {
//!     file: "park.wav".into(),
//!     start_s: 0.0,
//!     end_s: 1.0,
//!     label: "dog".into(),
//!     probability: 0.9,
//!     probs: vec![0.9, 0.1],
//! }))?;
//! out.finish()?;
//! assert_eq!(
//!     std::fs::read_to_string(&path)?,
//!     "file,start_s,end_s,label,probability,dog,siren\npark.wav,0,1,dog,0.9,0.9,0.1\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod encode;
mod error;
mod format;
#[cfg(feature = "parquet")]
mod parquet_out;
mod per_file;
mod record;
mod stream;
mod text;
mod tracks;

pub use error::OutputError;
pub use format::{OutputFormat, UnknownFormat};
pub use per_file::{PerFileWriter, output_path};
pub use record::{
    CLIP_COLUMNS, ClipRecord, EVENT_COLUMNS, EventRecord, PROBABILITY_DECIMALS, Record, RecordKind,
    TIME_DECIMALS, WINDOW_COLUMNS, WindowRecord, class_columns, round_probability, round_time,
};
pub use stream::StreamWriter;
pub use tracks::{RAVEN_HEADER, RAVEN_VIEW, TRACK_TIME_DECIMALS, label_text};

use record::Layout;

/// Top-k column pairs of clip records unless set otherwise (fewer if the model has fewer
/// classes).
pub const DEFAULT_TOP_K: usize = 3;
/// Rows per Parquet row group unless set otherwise.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 65_536;

/// What a writer writes: the format, the record kind and the model's classes, and the options
/// some formats need.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// The format.
    pub format: OutputFormat,
    /// The kind of records the writer takes.
    pub kind: RecordKind,
    /// The model's class names, in class order (window records: one column each).
    pub classes: Vec<String>,
    /// Clip records: how many `topN`/`topN_p` column pairs (a record with more is cut to
    /// this; one with fewer leaves the rest empty).
    pub top_k: usize,
    /// Replace existing output files (`--overwrite`). Off: an existing file is an error.
    pub overwrite: bool,
    /// Raven: `Low Freq (Hz)`/`High Freq (Hz)` of every selection, e.g. the model's
    /// `fmin..fmax` (its sample rate / 2 when `fmax` is unset). Required for Raven.
    pub raven_band_hz: Option<(f64, f64)>,
    /// Parquet: rows per row group (bounded memory; readers can skip whole groups).
    pub row_group_rows: usize,
}

impl OutputSpec {
    /// A spec with the defaults: [`DEFAULT_TOP_K`], no overwrite, no Raven band,
    /// [`DEFAULT_ROW_GROUP_ROWS`].
    pub fn new(format: OutputFormat, kind: RecordKind, classes: &[String]) -> OutputSpec {
        OutputSpec {
            format,
            kind,
            classes: classes.to_vec(),
            top_k: DEFAULT_TOP_K.min(classes.len()),
            overwrite: false,
            raven_band_hz: None,
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
        }
    }

    fn layout(&self) -> Layout {
        Layout::new(self.kind, &self.classes, self.top_k)
    }

    fn check_built(&self) -> Result<(), OutputError> {
        if self.format.built() {
            Ok(())
        } else {
            Err(OutputError::NotBuilt {
                format: self.format,
            })
        }
    }

    fn check_stream(&self) -> Result<(), OutputError> {
        if !self.format.streams() {
            return Err(OutputError::NeedsFolder {
                format: self.format,
            });
        }
        self.check_built()
    }

    fn check_per_file(&self) -> Result<(), OutputError> {
        if self.format == OutputFormat::Table {
            return Err(OutputError::NeedsStream {
                format: self.format,
            });
        }
        self.check_built()?;
        if self.format == OutputFormat::Raven {
            let (low, high) = self.raven_band_hz.unwrap_or((f64::NAN, f64::NAN));
            if !(low.is_finite() && high.is_finite() && low >= 0.0 && low < high) {
                return Err(OutputError::NeedsBand { low, high });
            }
        }
        Ok(())
    }
}
