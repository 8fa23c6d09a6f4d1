//! Folder-per-class datasets: `<root>/<class>/**/<file>.<audio ext>`.
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval. Hidden files and folders (name
//! starting with `.`) are ignored; non-audio files are ignored; audio files directly in the root
//! are reported as unlabelled. If every subfolder of the root is a split name (`train`, `test`,
//! `val`, `validation`), classes are read one level below and each clip gets that split.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{is_audio_file, is_hidden, visible};
use crate::dataset::{Clip, DatasetFormat, Parsed, Split};
use crate::error::{DataError, Problem, ProblemKind};

/// Non-hidden entries of `dir`, sorted by name; split into (subfolders, files).
fn list(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), DataError> {
    let entries = std::fs::read_dir(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if is_hidden(&path) {
            continue;
        }
        if path.is_dir() {
            dirs.push(path);
        } else {
            files.push(path);
        }
    }
    dirs.sort();
    files.sort();
    Ok((dirs, files))
}

/// Whether some non-hidden subfolder of `root` holds an audio file (at any depth).
pub(super) fn has_class_folders(root: &Path) -> bool {
    let Ok((dirs, _)) = list(root) else {
        return false;
    };
    dirs.iter().any(|d| {
        WalkDir::new(d)
            .into_iter()
            .filter_entry(visible)
            .flatten()
            .any(|e| e.file_type().is_file() && is_audio_file(e.path()))
    })
}

/// Scans a folder-per-class dataset. Every non-hidden subfolder is a declared class (an empty one
/// is reported by validation); audio files are found recursively inside it, in name order.
pub fn scan_folders(root: &Path) -> Result<Parsed, DataError> {
    let (dirs, files) = list(root)?;
    let mut problems = Vec::new();
    let mut clips = Vec::new();
    let mut declared = BTreeSet::new();
    report_loose_files(&files, &mut problems);
    let splits: Option<Vec<Split>> = dirs
        .iter()
        .map(|d| {
            d.file_name()
                .and_then(|n| n.to_str())
                .and_then(Split::parse)
        })
        .collect();
    match splits {
        Some(splits) if !dirs.is_empty() => {
            for (dir, split) in dirs.iter().zip(splits) {
                let (classes, loose) = list(dir)?;
                report_loose_files(&loose, &mut problems);
                for class_dir in classes {
                    scan_class(&class_dir, Some(split), &mut clips, &mut declared);
                }
            }
        }
        _ => {
            for class_dir in &dirs {
                scan_class(class_dir, None, &mut clips, &mut declared);
            }
        }
    }
    Ok(Parsed {
        root: root.to_path_buf(),
        format: DatasetFormat::Folders,
        source: None,
        clips,
        declared_classes: declared.into_iter().collect(),
        problems,
    })
}

fn report_loose_files(files: &[PathBuf], problems: &mut Vec<Problem>) {
    for f in files.iter().filter(|f| is_audio_file(f)) {
        problems.push(Problem {
            source: None,
            line: None,
            path: Some(f.clone()),
            kind: ProblemKind::Unlabelled,
        });
    }
}

fn scan_class(
    class_dir: &Path,
    split: Option<Split>,
    clips: &mut Vec<Clip>,
    declared: &mut BTreeSet<String>,
) {
    let Some(label) = class_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return;
    };
    declared.insert(label.clone());
    let walker = WalkDir::new(class_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(visible);
    for entry in walker.flatten() {
        if entry.file_type().is_file() && is_audio_file(entry.path()) {
            let mut clip = Clip::new(entry.path(), label.as_str());
            clip.split = split;
            clips.push(clip);
        }
    }
}
