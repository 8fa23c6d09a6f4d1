//! The reading half of a dataset check: one parallel pass over the distinct files of a dataset
//! (size, header or full decode, content hash), then the tally into a [`DatasetCheck`].
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval. Duplicates are found as
//! `fdupes` does: files are first grouped by size, and only files sharing their size with
//! another are hashed (xxh3-128 over every byte, the hash the feature cache already uses), so a
//! dataset without duplicates is never read in full unless [`CheckOptions::decode`] asks for it.
//! Empty files are never duplicates of each other: they are reported as unreadable.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use hark_audio::LoadOptions;
use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3Default;

use super::{
    CheckOptions, ClassCheck, DatasetCheck, DuplicateFile, DuplicateGroup, FileNote,
    UnreadableFile, round_ms,
};
use crate::dataset::{Clip, Dataset};
use crate::error::with_causes;

/// Bytes read at a time while hashing.
const HASH_BUFFER_BYTES: usize = 1 << 16;

/// What one file turned out to be.
pub(super) struct FileFound {
    path: PathBuf,
    /// Indices of the clips cut from this file.
    clips: Vec<usize>,
    size: Option<u64>,
    /// xxh3-128 of the content; only for files that share their size with another.
    hash: Option<u128>,
    audio: Result<FileAudio, String>,
    /// What reading worked around, in words.
    notes: Vec<String>,
}

/// The header (and, when decoded, the measured length) of a readable file.
struct FileAudio {
    container: String,
    codec: String,
    sample_rate: u32,
    channels: usize,
    seconds: Option<f64>,
}

/// The distinct files of a dataset, each read once.
pub(super) struct Found {
    files: Vec<FileFound>,
    /// For each clip, the index of its file in `files`.
    clip_file: Vec<usize>,
}

/// Reads every distinct file of `ds` (in the current rayon pool) and reports progress.
pub(super) fn read_all(ds: &Dataset, opts: &CheckOptions<'_>) -> Found {
    // Distinct files in first-clip order; canonical paths so `a.wav` and `./a.wav` are one file.
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    let mut files: Vec<(PathBuf, Vec<usize>)> = Vec::new();
    let mut clip_file = Vec::with_capacity(ds.clips.len());
    for (i, clip) in ds.clips.iter().enumerate() {
        let key = std::fs::canonicalize(&clip.path).unwrap_or_else(|_| clip.path.clone());
        let f = *index.entry(key).or_insert_with(|| {
            files.push((clip.path.clone(), Vec::new()));
            files.len() - 1
        });
        files[f].1.push(i);
        clip_file.push(f);
    }
    let sizes: Vec<Option<u64>> = files
        .iter()
        .map(|(p, _)| std::fs::metadata(p).ok().map(|m| m.len()))
        .collect();
    let mut same_size: HashMap<u64, usize> = HashMap::new();
    for s in sizes.iter().flatten().filter(|&&s| s > 0) {
        *same_size.entry(*s).or_default() += 1;
    }
    let total = files.len();
    if let Some(o) = opts.observer {
        o.on_start(total);
    }
    let done = AtomicUsize::new(0);
    let found = files
        .into_par_iter()
        .zip(sizes)
        .map(|((path, clips), size)| {
            let hash = size
                .filter(|s| same_size.get(s).is_some_and(|&n| n > 1))
                .and_then(|_| hash_file(&path));
            let (audio, notes) = examine(&path, opts.decode);
            if let Some(o) = opts.observer {
                o.on_file(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            }
            FileFound {
                path,
                clips,
                size,
                hash,
                audio,
                notes,
            }
        })
        .collect();
    if let Some(o) = opts.observer {
        o.on_finish();
    }
    Found {
        files: found,
        clip_file,
    }
}

/// xxh3-128 of the file's bytes; `None` when it cannot be read (the header read reports why).
fn hash_file(path: &Path) -> Option<u128> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Xxh3Default::new();
    let mut buf = vec![0u8; HASH_BUFFER_BYTES];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Some(hasher.digest128()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// The header of `path`, decoded in full when `decode` is set or the header states no length.
fn examine(path: &Path, decode: bool) -> (Result<FileAudio, String>, Vec<String>) {
    let info = match hark_audio::probe(path) {
        Ok(i) => i,
        Err(e) => return (Err(with_causes(&e)), Vec::new()),
    };
    let mut notes: Vec<String> = info.warnings.iter().map(ToString::to_string).collect();
    let mut audio = FileAudio {
        container: info.container,
        codec: info.codec,
        sample_rate: info.sample_rate,
        channels: info.channels,
        seconds: info.duration,
    };
    if decode || audio.seconds.is_none() {
        match hark_audio::load(path, &LoadOptions::default()) {
            Ok(a) => {
                audio.seconds = Some(a.duration());
                // The decode repeats the header's warnings and adds its own.
                notes = a.warnings.iter().map(ToString::to_string).collect();
            }
            Err(e) => return (Err(with_causes(&e)), notes),
        }
    }
    if audio.seconds == Some(0.0) {
        return (
            Err("the file is empty (no audio frames); re-export or remove it".into()),
            notes,
        );
    }
    (Ok(audio), notes)
}

/// Seconds of `clip` in a file `file_seconds` long (its segment, cut at the end of the file).
pub(super) fn clip_seconds(clip: &Clip, file_seconds: Option<f64>) -> Option<f64> {
    let start = clip.start.unwrap_or(0.0);
    let end = match (file_seconds, clip.end) {
        (Some(len), Some(end)) => end.min(len),
        (Some(len), None) => len,
        (None, Some(end)) => end,
        (None, None) => return None,
    };
    Some((end - start).max(0.0))
}

/// Sorted, distinct class names of `clips`.
fn labels(ds: &Dataset, clips: &[usize]) -> Vec<String> {
    let set: BTreeSet<&String> = clips.iter().map(|&i| &ds.clips[i].label).collect();
    set.into_iter().cloned().collect()
}

/// Tallies what was found into the report.
pub(super) fn summarise(ds: &Dataset, found: Found, decoded: bool) -> DatasetCheck {
    let Found { files, clip_file } = found;
    let mut classes: Vec<ClassCheck> = ds
        .classes
        .iter()
        .map(|name| ClassCheck {
            name: name.clone(),
            clips: 0,
            unreadable: 0,
            seconds: 0.0,
            folds: BTreeMap::new(),
            splits: BTreeMap::new(),
        })
        .collect();
    let mut folds = BTreeMap::new();
    let mut splits = BTreeMap::new();
    let mut seconds = 0.0;
    for (clip, &f) in ds.clips.iter().zip(&clip_file) {
        let Some(c) = ds.label_index(&clip.label).and_then(|i| classes.get_mut(i)) else {
            continue;
        };
        c.clips += 1;
        if let Some(fold) = clip.fold {
            *c.folds.entry(fold).or_default() += 1;
            *folds.entry(fold).or_default() += 1;
        }
        if let Some(split) = clip.split {
            *c.splits.entry(split.name().to_string()).or_default() += 1;
            *splits.entry(split.name().to_string()).or_default() += 1;
        }
        match &files[f].audio {
            Ok(a) => {
                let s = clip_seconds(clip, a.seconds).unwrap_or(0.0);
                c.seconds += s;
                seconds += s;
            }
            Err(_) => c.unreadable += 1,
        }
    }
    for c in &mut classes {
        c.seconds = round_ms(c.seconds);
    }
    let mut report = DatasetCheck {
        root: ds.root.clone(),
        name: ds.name.clone(),
        format: ds.format,
        decoded,
        clips: ds.clips.len(),
        files: files.len(),
        seconds: round_ms(seconds),
        classes,
        folds,
        splits,
        sample_rates: BTreeMap::new(),
        channels: BTreeMap::new(),
        codecs: BTreeMap::new(),
        unknown_length: 0,
        unreadable: Vec::new(),
        duplicates: duplicates(ds, &files),
        warnings: Vec::new(),
        problems: ds.problems.iter().map(ToString::to_string).collect(),
        model: None,
    };
    for file in files {
        match file.audio {
            Ok(a) => {
                *report.sample_rates.entry(a.sample_rate).or_default() += 1;
                *report.channels.entry(a.channels).or_default() += 1;
                *report
                    .codecs
                    .entry(format!("{}: {}", a.container, a.codec))
                    .or_default() += 1;
                report.unknown_length += usize::from(a.seconds.is_none());
                report
                    .warnings
                    .extend(file.notes.into_iter().map(|message| FileNote {
                        path: file.path.clone(),
                        message,
                    }));
            }
            Err(reason) => report.unreadable.push(UnreadableFile {
                classes: labels(ds, &file.clips),
                path: file.path,
                reason,
            }),
        }
    }
    report
}

/// Groups of files with equal size and hash, in dataset order.
fn duplicates(ds: &Dataset, files: &[FileFound]) -> Vec<DuplicateGroup> {
    let mut groups: Vec<((u64, u128), Vec<&FileFound>)> = Vec::new();
    let mut at: HashMap<(u64, u128), usize> = HashMap::new();
    for file in files {
        let (Some(size), Some(hash)) = (file.size, file.hash) else {
            continue;
        };
        let g = *at.entry((size, hash)).or_insert_with(|| {
            groups.push(((size, hash), Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(file);
    }
    groups
        .into_iter()
        .filter(|(_, copies)| copies.len() > 1)
        .map(|((bytes, hash), copies)| {
            let all: Vec<usize> = copies.iter().flat_map(|f| f.clips.clone()).collect();
            let folds: BTreeSet<u32> = all.iter().filter_map(|&i| ds.clips[i].fold).collect();
            let splits: BTreeSet<&str> = all
                .iter()
                .filter_map(|&i| ds.clips[i].split.map(|s| s.name()))
                .collect();
            DuplicateGroup {
                hash: format!("{hash:032x}"),
                bytes,
                files: copies
                    .iter()
                    .map(|f| DuplicateFile {
                        path: f.path.clone(),
                        classes: labels(ds, &f.clips),
                    })
                    .collect(),
                classes: labels(ds, &all),
                folds: folds.into_iter().collect(),
                splits: splits.into_iter().map(str::to_string).collect(),
            }
        })
        .collect()
}
