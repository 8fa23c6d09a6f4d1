//! Dataset format detection and parsing (metadata only, no audio decoding).
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval. [`open`] detects the layout,
//! parses its metadata into a [`Parsed`] clip list, then validates it into a [`Dataset`]. Each
//! `parse_*` function can be called alone to inspect metadata whose audio is absent.
//!
//! | given                                   | detected as                      |
//! |-----------------------------------------|----------------------------------|
//! | `*.csv` with `slice_file_name,...,class`| [`DatasetFormat::UrbanSound8k`]  |
//! | `*.csv` with `filename,fold,target,category,...` | [`DatasetFormat::Esc50`] |
//! | any other `*.csv` (`path,label,...`)     | [`DatasetFormat::Manifest`]      |
//! | folder with `labels.csv`                | [`DatasetFormat::Manifest`]      |
//! | folder with `meta/esc50.csv`            | [`DatasetFormat::Esc50`]         |
//! | folder with `metadata/UrbanSound8K.csv` | [`DatasetFormat::UrbanSound8k`]  |
//! | audio file or `.txt` label track, or a folder where some `name.<audio>` has a `name.txt` | [`DatasetFormat::Audacity`] |
//! | folder with class subfolders (optionally under `train/`, `test/`, `val/`) | [`DatasetFormat::Folders`] |

mod audacity;
mod folders;
mod table;

use std::path::{Path, PathBuf};

pub use audacity::{parse_audacity, parse_label_track};
pub use folders::scan_folders;
pub use table::{parse_esc50, parse_manifest, parse_path_list, parse_urbansound8k};

use crate::dataset::{Dataset, DatasetFormat, Parsed};
use crate::error::DataError;

/// File extensions (lower-case, no dot) treated as audio: the containers hark-audio's symphonia
/// build reads (WAV, FLAC, Ogg Vorbis, MP1/2/3, MP4/M4A with AAC or ALAC, AIFF, CAF, Matroska).
/// Opus, AMR and 3GP are not decoded by symphonia and are not listed.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "flac", "ogg", "oga", "mp3", "mp2", "mp1", "m4a", "mp4", "aac", "aif", "aiff",
    "aifc", "caf", "mka",
];

/// Whether `path` has one of [`AUDIO_EXTENSIONS`] (case-insensitive).
pub fn is_audio_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

/// Whether a file or folder name is hidden (starts with `.`), e.g. `.DS_Store`, `.hark-cache`.
pub(crate) fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.starts_with('.'))
        .unwrap_or(false)
}

/// Opens a dataset: detects its format, parses its metadata and validates it.
///
/// See [`Parsed::validate`] for the skip policy (missing files, duplicates, empty classes are
/// reported in `Dataset::problems` and skipped; only "nothing left" and "fewer than two classes"
/// are errors). No audio is decoded.
pub fn open(path: &Path) -> Result<Dataset, DataError> {
    parse(path)?.validate()
}

/// Detects the format and parses the metadata, without checking that audio files exist.
pub fn parse(path: &Path) -> Result<Parsed, DataError> {
    let (format, target) = detect(path)?;
    match format {
        DatasetFormat::Manifest => parse_manifest(&target),
        DatasetFormat::Esc50 => parse_esc50(&target),
        DatasetFormat::UrbanSound8k => parse_urbansound8k(&target),
        DatasetFormat::Folders => scan_folders(&target),
        DatasetFormat::Audacity => parse_audacity(&target),
    }
}

/// Detects the dataset format at `path`. Returns the format and the file or folder its parser
/// takes (e.g. `<root>/meta/esc50.csv` for an ESC-50 root).
pub fn detect(path: &Path) -> Result<(DatasetFormat, PathBuf), DataError> {
    let meta = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let unknown = |reason: &str| DataError::UnknownFormat {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if meta.is_file() {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        return match ext.as_str() {
            "csv" => Ok((table::detect_csv(path)?, path.to_path_buf())),
            "txt" => Ok((DatasetFormat::Audacity, path.to_path_buf())),
            _ if is_audio_file(path) => Ok((DatasetFormat::Audacity, path.to_path_buf())),
            _ => Err(unknown(
                "the file is neither a .csv manifest nor a label track",
            )),
        };
    }
    let candidates = [
        ("labels.csv", DatasetFormat::Manifest),
        ("meta/esc50.csv", DatasetFormat::Esc50),
        ("metadata/UrbanSound8K.csv", DatasetFormat::UrbanSound8k),
    ];
    for (rel, format) in candidates {
        let csv = path.join(rel);
        if csv.is_file() {
            return Ok((format, csv));
        }
    }
    if audacity::has_label_tracks(path) {
        return Ok((DatasetFormat::Audacity, path.to_path_buf()));
    }
    if folders::has_class_folders(path) {
        return Ok((DatasetFormat::Folders, path.to_path_buf()));
    }
    Err(unknown(
        "no metadata file, no label track and no subfolder holding audio files",
    ))
}

/// Whether a walked entry should be visited: the starting folder always, others when not hidden.
pub(crate) fn visible(entry: &walkdir::DirEntry) -> bool {
    entry.depth() == 0 || !is_hidden(entry.path())
}

/// Resolves a metadata path against `base` (absolute paths are kept).
pub(crate) fn resolve(base: &Path, rel: &str) -> PathBuf {
    let p = Path::new(rel);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The folder a metadata file's relative paths are resolved against (`.` for a bare file name).
pub(crate) fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
