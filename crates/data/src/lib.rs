//! hark-data: datasets on disk -> validated clip lists -> cached analysis windows.
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval -> predict/stream -> export. This
//! crate sits at the start: it reads dataset metadata ([`open`]), checks it (reporting, not
//! failing on, missing files and bad rows), and turns every clip into feature windows in parallel
//! with an on-disk cache ([`extract`]).
//!
//! Formats (detected by [`open`], see [`formats`]): folder-per-class, CSV manifests
//! (`path,label[,fold|split][,start,end]`, and folders holding `labels.csv`), ESC-50, UrbanSound8K,
//! and Audacity label tracks.
//!
//! Skip policy (see [`Parsed::validate`]): missing files, unreadable rows, bad segments,
//! duplicates and empty classes are collected in [`Dataset::problems`] with file and line, and
//! skipped. Opening fails only when no clip, or fewer than two classes, are left. In extraction, a
//! file that fails to decode goes to [`FeatureSet::failed`] and the rest is extracted.
//!
//! Before training, [`check()`] reports what a dataset holds: clips per class, fold and split,
//! durations, rates, channels and codecs, unreadable files with the reason, and duplicated
//! files (see [`mod@check`]).
//!
//! No user interface: progress is reported to an [`ExtractObserver`] (the CLI draws its bar).
//!
//! Caveat: [`Clip::start`]/[`Clip::end`] are seconds of the **source file**. UrbanSound8K's
//! `start`/`end` columns refer to the original Freesound recording, so US8K clips are whole slice
//! files.
//!
//! ```no_run
//! use std::path::Path;
//! let ds = hark_data::open(Path::new("../shared/data/esc10"))?;
//! for p in &ds.problems {
//!     eprintln!("warning: {p}");
//! }
//! let cache = ds.root.join(".hark-cache");
//! let opts = hark_data::ExtractOptions {
//!     cache_dir: Some(&cache),
//!     ..Default::default()
//! };
//! let features = hark_data::extract(&ds, &Default::default(), &opts)?;
//! println!("{} clips, {} windows", features.clips.len(), features.window_count());
//! # Ok::<(), hark_data::DataError>(())
//! ```

pub mod cache;
pub mod check;
mod dataset;
mod error;
mod extract;
pub mod formats;
mod inputs;

pub use check::{CheckObserver, CheckOptions, DatasetCheck, check, label_overlap};
pub use dataset::{Clip, Dataset, DatasetFormat, Parsed, Split};
pub use error::{DataError, Problem, ProblemKind, summarize};
pub use extract::{
    ClipWindows, ExtractObserver, ExtractOptions, ExtractStats, FailedClip, FeatureSet, extract,
    extract_clips, select_windows,
};
pub use formats::{detect, open, parse};
pub use inputs::{AudioInput, InputProblem, Shard, list_audio};
