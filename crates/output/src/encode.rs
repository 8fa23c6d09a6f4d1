//! Encoders (predict/stream stage): one record at a time -> bytes of one format, on any
//! `Write`. The writers ([`crate::StreamWriter`], [`crate::PerFileWriter`]) choose the
//! destination; an encoder only formats, keeping nothing but the current row (Parquet: the
//! current batch).

use std::io::Write;
use std::path::PathBuf;

use crate::record::Layout;
use crate::text::{CsvEncoder, JsonEncoder, TableEncoder};
use crate::tracks::{AudacityEncoder, RavenEncoder};
use crate::{OutputError, OutputFormat, Record};

/// What an encoder needs besides the layout.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Flush after every record (a stream someone reads live, e.g. stdout).
    pub live: bool,
    /// Raven: the frequency band of every selection, Hz.
    pub band_hz: (f64, f64),
    /// Raven: the audio file (`Begin Path`).
    pub audio: Option<PathBuf>,
    /// Parquet: rows per row group.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub row_group_rows: usize,
}

/// An encoder's failure, before the writer adds the destination.
#[derive(Debug)]
pub(crate) enum EncodeError {
    Io(std::io::Error),
    Format(String),
}

impl EncodeError {
    pub fn at(self, format: OutputFormat, path: PathBuf) -> OutputError {
        match self {
            EncodeError::Io(source) => OutputError::Io { path, source },
            EncodeError::Format(reason) => OutputError::Encode {
                format,
                path,
                reason,
            },
        }
    }
}

impl From<std::io::Error> for EncodeError {
    fn from(e: std::io::Error) -> EncodeError {
        EncodeError::Io(e)
    }
}

impl From<csv::Error> for EncodeError {
    fn from(e: csv::Error) -> EncodeError {
        match e.into_kind() {
            csv::ErrorKind::Io(e) => EncodeError::Io(e),
            other => EncodeError::Format(format!("{other:?}")),
        }
    }
}

impl From<serde_json::Error> for EncodeError {
    fn from(e: serde_json::Error) -> EncodeError {
        if e.is_io() {
            return EncodeError::Io(e.into());
        }
        EncodeError::Format(e.to_string())
    }
}

/// One encoder per format (the large ones boxed: one encoder per output, so the box is free).
pub(crate) enum Encoder<W: Write + Send> {
    Table(TableEncoder<W>),
    Csv(Box<CsvEncoder<W>>),
    Json(JsonEncoder<W>),
    #[cfg(feature = "parquet")]
    Parquet(Box<crate::parquet_out::ParquetEncoder<W>>),
    Audacity(AudacityEncoder<W>),
    Raven(RavenEncoder<W>),
}

impl<W: Write + Send> Encoder<W> {
    /// Starts the output (headers, schema). The format must be built (checked by the writers).
    pub fn new(
        format: OutputFormat,
        layout: &Layout,
        settings: &Settings,
        w: W,
    ) -> Result<Encoder<W>, EncodeError> {
        Ok(match format {
            OutputFormat::Table => Encoder::Table(TableEncoder::new(w, layout, settings.live)?),
            OutputFormat::Csv => Encoder::Csv(Box::new(CsvEncoder::new(w, layout, settings.live)?)),
            OutputFormat::JsonLines => Encoder::Json(JsonEncoder::new(w, layout, settings.live)),
            #[cfg(feature = "parquet")]
            OutputFormat::Parquet => Encoder::Parquet(Box::new(
                crate::parquet_out::ParquetEncoder::new(w, layout, settings.row_group_rows)?,
            )),
            #[cfg(not(feature = "parquet"))]
            OutputFormat::Parquet => {
                return Err(EncodeError::Format("Parquet support not built".into()));
            }
            OutputFormat::Audacity => Encoder::Audacity(AudacityEncoder::new(w)),
            OutputFormat::Raven => Encoder::Raven(RavenEncoder::new(w, settings)?),
        })
    }

    /// Encodes one record (already checked against the layout).
    pub fn write(&mut self, record: &Record) -> Result<(), EncodeError> {
        match self {
            Encoder::Table(e) => e.write(record),
            Encoder::Csv(e) => e.write(record),
            Encoder::Json(e) => e.write(record),
            #[cfg(feature = "parquet")]
            Encoder::Parquet(e) => e.write(record),
            Encoder::Audacity(e) => e.write(record),
            Encoder::Raven(e) => e.write(record),
        }
    }

    /// Ends the output (Parquet: last row group and footer), flushes, and returns the writer.
    pub fn finish(self) -> Result<W, EncodeError> {
        let mut w = match self {
            Encoder::Table(e) => e.finish(),
            Encoder::Csv(e) => e.finish()?,
            Encoder::Json(e) => e.finish(),
            #[cfg(feature = "parquet")]
            Encoder::Parquet(e) => e.finish()?,
            Encoder::Audacity(e) => e.finish(),
            Encoder::Raven(e) => e.finish(),
        };
        w.flush()?;
        Ok(w)
    }
}

/// Checks a record against the writer's layout (kind, class count).
pub(crate) fn check(layout: &Layout, record: &Record) -> Result<(), OutputError> {
    if record.kind() != layout.kind {
        return Err(OutputError::WrongKind {
            expected: layout.kind,
            got: record.kind(),
        });
    }
    if let Record::Window(w) = record
        && w.probs.len() != layout.classes.len()
    {
        return Err(OutputError::ClassCount {
            file: w.file.clone(),
            expected: layout.classes.len(),
            got: w.probs.len(),
        });
    }
    Ok(())
}
