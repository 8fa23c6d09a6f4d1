//! Dataset check: know the data before training. Clips per class, fold and split; total and
//! per-class duration; sample rates, channel counts and codecs; unreadable or empty files with
//! the reason; files with the same content (in two classes, a labelling error); class names
//! compared with a model's.
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval. [`check`] takes an opened
//! [`Dataset`] and reads each distinct audio file once, in parallel (see `files.rs` for what is
//! read and how duplicates are found). Nothing is written; progress goes to a [`CheckObserver`].
//!
//! What is read, and what that finds:
//! - by default only each file's **header** ([`hark_audio::probe`]): format, codec, rate,
//!   channels and length. A file whose header does not state its length is decoded in full to
//!   measure it. Files that are empty, not audio, of an unsupported codec or with a damaged
//!   header are found this way;
//! - with [`CheckOptions::decode`], **every** file is decoded in full ([`hark_audio::load`] at
//!   its native rate): this also finds audio data cut off before the length its header declares,
//!   packets that do not decode and non-finite samples, at the cost of reading every byte.
//!
//! Durations are in seconds, rounded to the millisecond. A clip with a `start`/`end` counts its
//! segment (cut at the end of the file), a whole-file clip its file's length.

mod files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, DatasetFormat};
use crate::error::DataError;

/// Receives progress from [`check`]; the CLI draws a progress bar with it.
///
/// [`CheckObserver::on_file`] is called from rayon worker threads, hence `Sync`; files finish in
/// any order, so a display should count calls. Every method has an empty default.
pub trait CheckObserver: Sync {
    /// Called once before any file is read, with the number of distinct files.
    fn on_start(&self, _files: usize) {}
    /// Called after each file: `done` of `total` are finished, this one included.
    fn on_file(&self, _done: usize, _total: usize) {}
    /// Called once after the last file.
    fn on_finish(&self) {}
}

/// How [`check`] runs.
#[derive(Clone, Copy, Default)]
pub struct CheckOptions<'a> {
    /// Decode every file in full (finds truncated and corrupt audio data, reads every byte);
    /// `false` reads headers only and decodes just the files whose header states no length.
    pub decode: bool,
    /// Worker threads; `None` = rayon's global pool (one per core).
    pub threads: Option<usize>,
    /// Told about every finished file (e.g. to draw a progress bar); `None` = nobody.
    pub observer: Option<&'a dyn CheckObserver>,
}

impl std::fmt::Debug for CheckOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckOptions")
            .field("decode", &self.decode)
            .field("threads", &self.threads)
            .field("observer", &self.observer.map(|_| "..."))
            .finish()
    }
}

/// What a dataset holds, from [`check`]. Serialisable: `hark check --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetCheck {
    /// The dataset root folder.
    pub root: PathBuf,
    /// The dataset's short name.
    pub name: String,
    /// How it was described on disk.
    pub format: DatasetFormat,
    /// Whether every file was decoded in full ([`CheckOptions::decode`]).
    pub decoded: bool,
    /// Usable clips (after the skip policy of [`crate::Parsed::validate`]).
    pub clips: usize,
    /// Distinct audio files the clips come from.
    pub files: usize,
    /// Total length of the clips whose file could be read, in seconds.
    pub seconds: f64,
    /// One entry per class, in class-index order.
    pub classes: Vec<ClassCheck>,
    /// Clips per official fold (empty when the dataset has no folds).
    pub folds: BTreeMap<u32, usize>,
    /// Clips per fixed split (`train`, `validation`, `test`; empty when it has none).
    pub splits: BTreeMap<String, usize>,
    /// Readable files per native sample rate in Hz.
    pub sample_rates: BTreeMap<u32, usize>,
    /// Readable files per channel count.
    pub channels: BTreeMap<usize, usize>,
    /// Readable files per container and codec, e.g. `wav: PCM Signed 16-bit Little-Endian`.
    pub codecs: BTreeMap<String, usize>,
    /// Readable files whose length neither the header nor a decode gave (normally 0).
    pub unknown_length: usize,
    /// Files that could not be read (or hold no audio), with the reason.
    pub unreadable: Vec<UnreadableFile>,
    /// Groups of two or more files with the same content.
    pub duplicates: Vec<DuplicateGroup>,
    /// What reading worked around in readable files (placeholder WAV sizes, skipped packets).
    pub warnings: Vec<FileNote>,
    /// What opening the dataset skipped (missing files, bad rows, empty classes), in words.
    pub problems: Vec<String>,
    /// Class names compared with a model's, when one was given ([`label_overlap`]).
    pub model: Option<LabelOverlap>,
}

impl DatasetCheck {
    /// Whether something was unreadable or skipped (the CLI exits with 1 then).
    pub fn has_failures(&self) -> bool {
        !self.unreadable.is_empty() || !self.problems.is_empty()
    }
}

/// One class of a [`DatasetCheck`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassCheck {
    /// The class name.
    pub name: String,
    /// Usable clips of this class (readable or not).
    pub clips: usize,
    /// Of `clips`, those whose file could not be read.
    pub unreadable: usize,
    /// Total length of its readable clips, in seconds.
    pub seconds: f64,
    /// Clips per official fold.
    pub folds: BTreeMap<u32, usize>,
    /// Clips per fixed split.
    pub splits: BTreeMap<String, usize>,
}

/// A file that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnreadableFile {
    /// The audio file.
    pub path: PathBuf,
    /// The classes its clips are labelled with.
    pub classes: Vec<String>,
    /// What is wrong, in words (the decoder's message with its causes).
    pub reason: String,
}

/// A note about one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileNote {
    /// The audio file.
    pub path: PathBuf,
    /// The note, in words.
    pub message: String,
}

/// Files whose bytes are the same (equal size and xxh3-128 hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateGroup {
    /// xxh3-128 of the content, hex.
    pub hash: String,
    /// Size of each copy in bytes.
    pub bytes: u64,
    /// The copies, in dataset order.
    pub files: Vec<DuplicateFile>,
    /// Every class the copies are labelled with, sorted.
    pub classes: Vec<String>,
    /// Every fold the copies are in, sorted.
    pub folds: Vec<u32>,
    /// Every split the copies are in, sorted.
    pub splits: Vec<String>,
}

/// One copy in a [`DuplicateGroup`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateFile {
    /// The audio file.
    pub path: PathBuf,
    /// The classes its clips are labelled with.
    pub classes: Vec<String>,
}

impl DuplicateGroup {
    /// The copies are labelled with more than one class: at most one label can be right.
    pub fn across_classes(&self) -> bool {
        self.classes.len() > 1
    }

    /// What the group means, in words, e.g. `2 copies labelled "dog" and "siren": a labelling
    /// error, keep one copy with the right label`.
    pub fn describe(&self) -> String {
        let n = self.files.len();
        let quoted = |v: &[String]| {
            v.iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let mut text = if self.across_classes() {
            format!(
                "{n} copies labelled {}: a labelling error, keep one copy with the right label",
                quoted(&self.classes)
            )
        } else {
            format!(
                "{n} copies in class {}: the sound counts {n} times, keep one",
                quoted(&self.classes)
            )
        };
        if self.folds.len() > 1 || self.splits.len() > 1 {
            let places = if self.folds.len() > 1 {
                let f: Vec<String> = self.folds.iter().map(u32::to_string).collect();
                format!("folds {}", f.join(", "))
            } else {
                format!("splits {}", self.splits.join(", "))
            };
            text += &format!("; it is in {places}, so it is tested on what was trained on");
        }
        text
    }
}

/// A dataset's class names compared with a model's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelOverlap {
    /// Where the model's names came from (e.g. the model file's path).
    pub model: String,
    /// Classes in both, sorted.
    pub both: Vec<String>,
    /// Dataset classes the model does not know, sorted: it can never predict them.
    pub only_dataset: Vec<String>,
    /// Model classes with no clip in the dataset, sorted: they are never tested.
    pub only_model: Vec<String>,
}

/// Compares the dataset's `classes` with a model's `model_classes` (exact, case-sensitive
/// names); `model` names the model in reports.
pub fn label_overlap(model: &str, classes: &[String], model_classes: &[String]) -> LabelOverlap {
    let ds: BTreeSet<&String> = classes.iter().collect();
    let m: BTreeSet<&String> = model_classes.iter().collect();
    let names = |v: Vec<&&String>| v.into_iter().map(|s| (*s).clone()).collect();
    LabelOverlap {
        model: model.to_string(),
        both: names(ds.intersection(&m).collect()),
        only_dataset: names(ds.difference(&m).collect()),
        only_model: names(m.difference(&ds).collect()),
    }
}

/// Checks every file of `ds` (see the module docs for what is read). One bad file is a
/// [`DatasetCheck::unreadable`] entry, never an error; errors are only returned for an
/// impossible thread count.
pub fn check(ds: &Dataset, opts: &CheckOptions<'_>) -> Result<DatasetCheck, DataError> {
    let found = match opts.threads {
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .map_err(|e| DataError::ThreadPool {
                threads,
                reason: e.to_string(),
            })?
            .install(|| files::read_all(ds, opts)),
        None => files::read_all(ds, opts),
    };
    Ok(files::summarise(ds, found, opts.decode))
}

/// Seconds rounded to the millisecond, as the report gives them.
pub(crate) fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
