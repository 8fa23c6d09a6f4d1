//! One output stream for a whole run (predict/stream stage): standard output, one file, or any
//! writer; records are encoded as they arrive.

use std::io::Write;
use std::path::{Path, PathBuf};

use hark_io::AtomicFile;

use crate::encode::{Encoder, Settings, check};
use crate::record::Layout;
use crate::{OutputError, OutputFormat, OutputSpec, Record};

/// Where a stream goes.
enum Sink {
    Stdout(std::io::Stdout),
    File(AtomicFile),
    Writer(Box<dyn Write + Send>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::File(w) => w.write(buf),
            Sink::Writer(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.write_all(buf),
            Sink::File(w) => w.write_all(buf),
            Sink::Writer(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::File(w) => w.flush(),
            Sink::Writer(w) => w.flush(),
        }
    }
}

/// Writes records of one kind, in one format, to one stream.
///
/// Formats: table, csv, jsonl, parquet (Audacity and Raven files are per audio file: see
/// [`crate::PerFileWriter`]). To standard output or another writer, text is flushed after
/// every record, so a reader sees each line as it is produced. To a file, the output is a
/// temporary file in the same folder until [`StreamWriter::finish`] renames it into place:
/// a run that fails or is interrupted (the writer dropped without `finish`) leaves no file,
/// and an existing file is kept unless [`OutputSpec::overwrite`] is set.
pub struct StreamWriter {
    encoder: Encoder<Sink>,
    layout: Layout,
    format: OutputFormat,
    dest: PathBuf,
    overwrite: bool,
}

impl StreamWriter {
    /// Writes to standard output.
    ///
    /// # Errors
    /// [`OutputError::NeedsFolder`] for Audacity/Raven, [`OutputError::NotBuilt`], or a
    /// failed write of the header.
    pub fn stdout(spec: &OutputSpec) -> Result<StreamWriter, OutputError> {
        StreamWriter::start(
            spec,
            Sink::Stdout(std::io::stdout()),
            "<stdout>".into(),
            true,
        )
    }

    /// Writes to any writer (a pipe, a socket, a buffer in a test); flushed after every
    /// record.
    ///
    /// # Errors
    /// As [`StreamWriter::stdout`].
    pub fn to_writer(
        w: Box<dyn Write + Send>,
        spec: &OutputSpec,
    ) -> Result<StreamWriter, OutputError> {
        StreamWriter::start(spec, Sink::Writer(w), "<writer>".into(), true)
    }

    /// Writes to the file `path`, published atomically by [`StreamWriter::finish`].
    ///
    /// # Errors
    /// [`OutputError::Exists`] if `path` exists and `spec.overwrite` is false;
    /// [`OutputError::Io`] if its folder is missing or not writable; as
    /// [`StreamWriter::stdout`].
    pub fn create(path: &Path, spec: &OutputSpec) -> Result<StreamWriter, OutputError> {
        spec.check_stream()?;
        if !spec.overwrite && path.exists() {
            return Err(OutputError::Exists { path: path.into() });
        }
        let file = AtomicFile::create(path).map_err(|e| OutputError::io(path, e))?;
        StreamWriter::start(spec, Sink::File(file), path.into(), false)
    }

    fn start(
        spec: &OutputSpec,
        sink: Sink,
        dest: PathBuf,
        live: bool,
    ) -> Result<StreamWriter, OutputError> {
        spec.check_stream()?;
        let layout = spec.layout();
        let settings = Settings {
            live,
            band_hz: (0.0, 0.0),
            audio: None,
            row_group_rows: spec.row_group_rows,
        };
        let encoder = Encoder::new(spec.format, &layout, &settings, sink)
            .map_err(|e| e.at(spec.format, dest.clone()))?;
        Ok(StreamWriter {
            encoder,
            layout,
            format: spec.format,
            dest,
            overwrite: spec.overwrite,
        })
    }

    /// Writes one record.
    ///
    /// # Errors
    /// [`OutputError::WrongKind`] or [`OutputError::ClassCount`] for a record that does not
    /// fit the writer (nothing is written); [`OutputError::Io`] when the destination fails
    /// (for a closed pipe, `source.kind()` is `BrokenPipe`).
    pub fn write(&mut self, record: &Record) -> Result<(), OutputError> {
        check(&self.layout, record)?;
        self.encoder
            .write(record)
            .map_err(|e| e.at(self.format, self.dest.clone()))
    }

    /// Ends the output (Parquet footer), flushes, and for a file renames it into place.
    ///
    /// # Errors
    /// [`OutputError::Io`]; [`OutputError::Exists`] if, without `overwrite`, a file appeared
    /// at the destination during the run (it is kept; the output is discarded).
    pub fn finish(self) -> Result<(), OutputError> {
        let StreamWriter {
            encoder,
            format,
            dest,
            overwrite,
            ..
        } = self;
        let sink = encoder.finish().map_err(|e| e.at(format, dest.clone()))?;
        if let Sink::File(file) = sink {
            commit(file, overwrite)?;
        }
        Ok(())
    }
}

/// Publishes `file`: replacing an existing file only with `overwrite`.
pub(crate) fn commit(file: AtomicFile, overwrite: bool) -> Result<(), OutputError> {
    let dest = file.path().to_path_buf();
    let done = if overwrite {
        file.commit()
    } else {
        file.commit_new()
    };
    done.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => OutputError::Exists { path: dest.clone() },
        _ => OutputError::io(dest.clone(), e),
    })
}
