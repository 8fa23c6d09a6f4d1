//! One output file per audio file (predict/stream stage), in an output folder that mirrors the
//! input's folders.
//!
//! `output_dir/<path of the audio file relative to root><suffix>`: the audio file's whole
//! name is kept and the format's suffix appended, so `root/a/b/dog.wav` becomes
//! `output_dir/a/b/dog.wav.txt` (Audacity), `dog.wav.Table.1.selections.txt` (Raven),
//! `dog.wav.csv`, `dog.wav.jsonl`, `dog.wav.parquet`. Keeping the extension means `dog.wav`
//! and `dog.flac` in one folder never share an output, the output path is a pure function of
//! the audio path (so `--skip-existing` can test it before decoding anything), and an output
//! folder that is the input folder never touches a hand-made `dog.txt` label track.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use hark_io::AtomicFile;

use crate::encode::{Encoder, Settings, check};
use crate::record::Layout;
use crate::stream::commit;
use crate::{OutputError, OutputFormat, OutputSpec, Record};

/// Where the output for `audio` goes (see the module docs): `output_dir`, then `audio`'s path
/// relative to `root`, then [`OutputFormat::per_file_suffix`].
///
/// If `audio` is not under `root` (as the paths are written: no file system access), its
/// whole path is mirrored instead, without its root, drive or `..` parts, so the output is
/// always inside `output_dir`. If `audio` is `root` itself (one file given), its file name is
/// used.
pub fn output_path(output_dir: &Path, root: &Path, audio: &Path, format: OutputFormat) -> PathBuf {
    let rel = match audio.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel,
        Ok(_) => audio.file_name().map(Path::new).unwrap_or(audio),
        Err(_) => audio,
    };
    let mut out = output_dir.to_path_buf();
    let mut name = OsString::new();
    for part in rel.components() {
        if let Component::Normal(p) = part {
            if !name.is_empty() {
                out.push(&name);
            }
            name = p.to_os_string();
        }
    }
    name.push(format.per_file_suffix());
    out.push(name);
    out
}

struct Current {
    dest: PathBuf,
    encoder: Encoder<AtomicFile>,
}

/// Writes one output file per audio file: [`PerFileWriter::begin_file`], the file's records,
/// [`PerFileWriter::end_file`].
///
/// Formats: csv, jsonl, parquet, audacity, raven. Each file is written to a temporary file
/// and renamed into place by `end_file`; [`PerFileWriter::abandon_file`] (an audio file that
/// failed to decode half-way) or dropping the writer leaves nothing. An existing output is
/// never replaced unless [`OutputSpec::overwrite`] is set: `begin_file` refuses it before any
/// work, and `end_file` refuses one that appeared meanwhile.
pub struct PerFileWriter {
    output_dir: PathBuf,
    root: PathBuf,
    spec: OutputSpec,
    layout: Layout,
    current: Option<Current>,
}

impl PerFileWriter {
    /// A writer into `output_dir` (created when needed), mirroring audio paths relative to
    /// `root` (usually the input folder).
    ///
    /// # Errors
    /// [`OutputError::NeedsStream`] for the table format, [`OutputError::NotBuilt`],
    /// [`OutputError::NeedsBand`] for Raven without a valid band.
    pub fn new(
        output_dir: &Path,
        root: &Path,
        spec: &OutputSpec,
    ) -> Result<PerFileWriter, OutputError> {
        spec.check_per_file()?;
        Ok(PerFileWriter {
            output_dir: output_dir.to_path_buf(),
            root: root.to_path_buf(),
            layout: spec.layout(),
            spec: spec.clone(),
            current: None,
        })
    }

    /// Where the output for `audio` goes ([`output_path`] with this writer's folders).
    pub fn output_path(&self, audio: &Path) -> PathBuf {
        output_path(&self.output_dir, &self.root, audio, self.spec.format)
    }

    /// Starts the output of `audio`; returns its path.
    ///
    /// # Errors
    /// [`OutputError::Exists`] (the output exists and `overwrite` is off);
    /// [`OutputError::Io`] when its folder cannot be created; [`OutputError::OutOfOrder`] if
    /// the previous file was not ended.
    pub fn begin_file(&mut self, audio: &Path) -> Result<PathBuf, OutputError> {
        if let Some(cur) = &self.current {
            return Err(OutputError::OutOfOrder {
                what: format!(
                    "begin_file({}) while {} is still open",
                    audio.display(),
                    cur.dest.display()
                ),
            });
        }
        let dest = self.output_path(audio);
        if !self.spec.overwrite && dest.exists() {
            return Err(OutputError::Exists { path: dest });
        }
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| OutputError::io(dir, e))?;
        }
        let file = AtomicFile::create(&dest).map_err(|e| OutputError::io(&dest, e))?;
        let settings = Settings {
            live: false,
            band_hz: self.spec.raven_band_hz.unwrap_or((0.0, 0.0)),
            audio: Some(audio.to_path_buf()),
            row_group_rows: self.spec.row_group_rows,
        };
        let encoder = Encoder::new(self.spec.format, &self.layout, &settings, file)
            .map_err(|e| e.at(self.spec.format, dest.clone()))?;
        self.current = Some(Current {
            dest: dest.clone(),
            encoder,
        });
        Ok(dest)
    }

    /// Writes one record of the current audio file.
    ///
    /// # Errors
    /// [`OutputError::OutOfOrder`] before `begin_file`; [`OutputError::WrongKind`],
    /// [`OutputError::ClassCount`]; [`OutputError::Io`].
    pub fn write(&mut self, record: &Record) -> Result<(), OutputError> {
        let Some(cur) = &mut self.current else {
            return Err(OutputError::OutOfOrder {
                what: format!("a record of {} before begin_file", record.file()),
            });
        };
        check(&self.layout, record)?;
        cur.encoder
            .write(record)
            .map_err(|e| e.at(self.spec.format, cur.dest.clone()))
    }

    /// Ends the current audio file's output and publishes it; returns its path.
    ///
    /// # Errors
    /// [`OutputError::OutOfOrder`] without `begin_file`; [`OutputError::Exists`] if the file
    /// appeared since `begin_file` and `overwrite` is off (it is kept); [`OutputError::Io`].
    pub fn end_file(&mut self) -> Result<PathBuf, OutputError> {
        let Some(Current { dest, encoder }) = self.current.take() else {
            return Err(OutputError::OutOfOrder {
                what: "end_file() without begin_file".into(),
            });
        };
        let file = encoder
            .finish()
            .map_err(|e| e.at(self.spec.format, dest.clone()))?;
        commit(file, self.spec.overwrite)?;
        Ok(dest)
    }

    /// Drops the current audio file's output (nothing is written); a no-op when none is open.
    pub fn abandon_file(&mut self) {
        self.current = None;
    }
}
