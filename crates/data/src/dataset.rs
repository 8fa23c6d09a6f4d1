//! The dataset model: clips with labels, folds and splits, plus validation.
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval. Parsers (see [`crate::formats`])
//! produce a [`Parsed`] list of clips without touching the audio files; [`Parsed::validate`] then
//! checks the files exist and applies the skip policy documented there, giving a [`Dataset`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Problem, ProblemKind};

/// Which part of a fixed split a clip belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training data.
    Train,
    /// Validation (model selection) data.
    Validation,
    /// Held-out test data.
    Test,
}

impl Split {
    /// Parses `train`, `test`, `val`/`valid`/`validation`/`dev` (case-insensitive, trimmed).
    pub fn parse(s: &str) -> Option<Split> {
        match s.trim().to_ascii_lowercase().as_str() {
            "train" | "training" => Some(Split::Train),
            "test" | "testing" => Some(Split::Test),
            "val" | "valid" | "validation" | "dev" => Some(Split::Validation),
            _ => None,
        }
    }

    /// The name used in manifests, flags and messages: `train`, `validation` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One labelled example: a whole audio file or a segment of one.
///
/// `start`/`end` are in **seconds of the source file** (not of any resampled or trimmed copy);
/// `None` means the start / the end of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    /// The audio file, resolved against the dataset root (or the manifest's folder).
    pub path: PathBuf,
    /// The class name.
    pub label: String,
    /// Official cross-validation fold, when the metadata has one.
    pub fold: Option<u32>,
    /// Fixed split, when the metadata has one.
    pub split: Option<Split>,
    /// Segment start in seconds of the source file.
    pub start: Option<f64>,
    /// Segment end in seconds of the source file.
    pub end: Option<f64>,
    /// 1-based line of the metadata row this clip came from (manifests, label tracks).
    pub source_line: Option<usize>,
    /// Every non-empty cell of the clip's metadata row, by lower-cased column name (e.g.
    /// `speaker` in FSDD's labels.csv, `fsid` in UrbanSound8K): what `hark cv --group-by`
    /// groups on. Empty for folder-per-class datasets.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

impl Clip {
    /// A whole-file clip with only a path and a label.
    pub fn new(path: impl Into<PathBuf>, label: impl Into<String>) -> Clip {
        Clip {
            path: path.into(),
            label: label.into(),
            fold: None,
            split: None,
            start: None,
            end: None,
            source_line: None,
            columns: BTreeMap::new(),
        }
    }
}

/// How a dataset was described on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DatasetFormat {
    /// One subfolder per class.
    Folders,
    /// A CSV manifest `path,label[,fold|split][,start,end]` (including `labels.csv` folders).
    Manifest,
    /// ESC-50 `meta/esc50.csv` with audio in `audio/`.
    Esc50,
    /// UrbanSound8K `metadata/UrbanSound8K.csv` with audio in `audio/fold<N>/`.
    UrbanSound8k,
    /// Audio files with Audacity label tracks (`name.txt` beside `name.wav`).
    Audacity,
}

impl DatasetFormat {
    /// The format's name in messages and reports: `folders`, `manifest`, `esc50`,
    /// `urbansound8k` or `audacity`.
    pub fn name(self) -> &'static str {
        match self {
            DatasetFormat::Folders => "folders",
            DatasetFormat::Manifest => "manifest",
            DatasetFormat::Esc50 => "esc50",
            DatasetFormat::UrbanSound8k => "urbansound8k",
            DatasetFormat::Audacity => "audacity",
        }
    }
}

/// Clips as parsed from metadata, before any file-existence check.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The dataset root (folder) clip paths are resolved against.
    pub root: PathBuf,
    /// The format detected.
    pub format: DatasetFormat,
    /// The metadata file, for manifest-like formats.
    pub source: Option<PathBuf>,
    /// Clips in metadata order; rows that could not be read are already left out.
    pub clips: Vec<Clip>,
    /// Classes the metadata declares (class folders, label columns), even with no clip.
    pub declared_classes: Vec<String>,
    /// Problems found while parsing (unreadable rows, bad segments).
    pub problems: Vec<Problem>,
}

/// A validated dataset: every clip's file existed when it was opened.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The dataset root folder.
    pub root: PathBuf,
    /// A short name (the root folder's name).
    pub name: String,
    /// How it was described on disk.
    pub format: DatasetFormat,
    /// Class names, sorted and unique; a label's index here is its model output index.
    pub classes: Vec<String>,
    /// Usable clips, in metadata order.
    pub clips: Vec<Clip>,
    /// Everything skipped while opening, for the caller to print.
    pub problems: Vec<Problem>,
}

impl Parsed {
    /// Checks files and classes and applies the skip policy:
    ///
    /// - a clip whose file is missing: reported ([`ProblemKind::MissingFile`], with its line) and skipped;
    /// - the same file and segment twice: the later one reported ([`ProblemKind::Duplicate`]) and skipped;
    /// - a declared class with no usable clip: reported ([`ProblemKind::EmptyClass`]) and left out of
    ///   `classes`;
    /// - unreadable rows were already reported and skipped by the parser.
    ///
    /// None of these is fatal. It fails only when nothing usable is left
    /// ([`DataError::NoUsableClips`]) or fewer than two classes remain ([`DataError::TooFewClasses`]);
    /// both errors carry the full problem list.
    pub fn validate(self) -> Result<Dataset, DataError> {
        let Parsed {
            root,
            format,
            source,
            clips,
            declared_classes,
            mut problems,
        } = self;
        let problem = |line, path: &Path, kind| Problem {
            source: source.clone(),
            line,
            path: Some(path.to_path_buf()),
            kind,
        };
        let mut seen: HashMap<(PathBuf, Option<u64>, Option<u64>), Option<usize>> = HashMap::new();
        let mut exists: HashMap<PathBuf, bool> = HashMap::new();
        let mut usable = Vec::with_capacity(clips.len());
        for clip in clips {
            let present = *exists
                .entry(clip.path.clone())
                .or_insert_with(|| clip.path.is_file());
            if !present {
                problems.push(problem(
                    clip.source_line,
                    &clip.path,
                    ProblemKind::MissingFile,
                ));
                continue;
            }
            // Canonical path, so `a.wav` and `./a.wav` are the same file.
            let same_file = std::fs::canonicalize(&clip.path).unwrap_or_else(|_| clip.path.clone());
            let key = (
                same_file,
                clip.start.map(f64::to_bits),
                clip.end.map(f64::to_bits),
            );
            if let Some(first_line) = seen.get(&key) {
                let kind = ProblemKind::Duplicate {
                    first_line: *first_line,
                };
                problems.push(problem(clip.source_line, &clip.path, kind));
                continue;
            }
            seen.insert(key, clip.source_line);
            usable.push(clip);
        }
        let classes: Vec<String> = usable
            .iter()
            .map(|c| c.label.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let declared: BTreeSet<&String> = declared_classes.iter().collect();
        for class in declared {
            if classes.binary_search(class).is_err() {
                problems.push(Problem {
                    source: source.clone(),
                    line: None,
                    path: None,
                    kind: ProblemKind::EmptyClass {
                        class: class.clone(),
                    },
                });
            }
        }
        // Report in file order: parse problems and file problems interleaved by line.
        problems.sort_by(|a, b| {
            (&a.source, a.line.is_none(), a.line).cmp(&(&b.source, b.line.is_none(), b.line))
        });
        if usable.is_empty() {
            return Err(DataError::NoUsableClips {
                path: source.unwrap_or(root),
                problems,
            });
        }
        if classes.len() < 2 {
            return Err(DataError::TooFewClasses {
                path: source.unwrap_or(root),
                classes,
                problems,
            });
        }
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| root.display().to_string());
        Ok(Dataset {
            root,
            name,
            format,
            classes,
            clips: usable,
            problems,
        })
    }
}

impl Dataset {
    /// The model output index of `label`, if it is one of `classes`.
    pub fn label_index(&self, label: &str) -> Option<usize> {
        self.classes
            .binary_search_by(|c| c.as_str().cmp(label))
            .ok()
    }

    /// The class index of every clip (same order as `clips`).
    pub fn targets(&self) -> Vec<usize> {
        self.clips
            .iter()
            .map(|c| self.label_index(&c.label).unwrap_or(usize::MAX))
            .collect()
    }

    /// The distinct folds present, sorted; empty when the dataset has no folds.
    pub fn folds(&self) -> Vec<u32> {
        let set: BTreeSet<u32> = self.clips.iter().filter_map(|c| c.fold).collect();
        set.into_iter().collect()
    }

    /// Number of clips per class, indexed like `classes`.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for clip in &self.clips {
            if let Some(i) = self.label_index(&clip.label) {
                counts[i] += 1;
            }
        }
        counts
    }

    /// Indices of clips in fold `fold`.
    pub fn fold_indices(&self, fold: u32) -> Vec<usize> {
        self.indices_where(|c| c.fold == Some(fold))
    }

    /// Indices of clips not in fold `fold` (the training side of a cross-validation round).
    pub fn not_fold_indices(&self, fold: u32) -> Vec<usize> {
        self.indices_where(|c| c.fold != Some(fold))
    }

    /// Indices of clips in `split`.
    pub fn split_indices(&self, split: Split) -> Vec<usize> {
        self.indices_where(|c| c.split == Some(split))
    }

    /// Indices of clips matching `pred`.
    pub fn indices_where(&self, pred: impl Fn(&Clip) -> bool) -> Vec<usize> {
        (0..self.clips.len())
            .filter(|&i| pred(&self.clips[i]))
            .collect()
    }

    /// A dataset with only the clips at `idx` (out-of-range indices are ignored). The class list is
    /// kept whole, so label indices stay the same as in `self`; problems are not copied.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        Dataset {
            root: self.root.clone(),
            name: self.name.clone(),
            format: self.format,
            classes: self.classes.clone(),
            clips: idx
                .iter()
                .filter_map(|&i| self.clips.get(i).cloned())
                .collect(),
            problems: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names() {
        assert_eq!(Split::parse(" Train "), Some(Split::Train));
        assert_eq!(Split::parse("VALIDATION"), Some(Split::Validation));
        assert_eq!(Split::parse("val"), Some(Split::Validation));
        assert_eq!(Split::parse("test"), Some(Split::Test));
        assert_eq!(Split::parse("holdout"), None);
    }
}
