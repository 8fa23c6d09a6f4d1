//! Parallel, cached feature extraction for a whole dataset.
//!
//! Flow: datasets -> audio -> **features** -> model -> train/eval. Each clip is decoded with
//! `hark_audio::load` (mono, resampled to `cfg.sr`, its `start..end` segment) and cut into analysis
//! windows by a per-thread `hark_features::WindowExtractor`; results are cached (see
//! [`crate::cache`]). Progress goes to an [`ExtractObserver`]; this crate draws nothing itself.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use hark_audio::LoadOptions;
use hark_features::{FeatureConfig, Window, WindowExtractor};
use rayon::prelude::*;

use crate::cache;
use crate::dataset::{Clip, Dataset};
use crate::error::DataError;

/// Receives progress from [`extract`]; the CLI draws a progress bar with it.
///
/// [`ExtractObserver::on_clip`] is called from rayon worker threads, hence `Sync`; keep it cheap
/// (it runs between clips). Every method has an empty default.
pub trait ExtractObserver: Sync {
    /// Called once before any clip is processed, with the number of clips.
    fn on_start(&self, _total: usize) {}
    /// Called after each clip, from the thread that processed it: `done` clips of `total` are
    /// finished, this one included. `cached` is true when its windows came from the cache. Clips
    /// finish in any order and concurrent calls may arrive with `done` slightly out of order, so
    /// a display should count calls or keep the largest `done` seen.
    fn on_clip(&self, _done: usize, _total: usize, _cached: bool) {}
    /// Called once after the last clip, with the cache statistics of the run.
    fn on_finish(&self, _stats: &ExtractStats) {}
}

/// How [`extract`] runs.
#[derive(Clone, Copy, Default)]
pub struct ExtractOptions<'a> {
    /// Cache folder (e.g. `<dataset root>/.hark-cache` or [`crate::cache::default_cache_dir`]);
    /// `None` disables caching. Each feature configuration gets its own subfolder.
    pub cache_dir: Option<&'a Path>,
    /// Worker threads; `None` = rayon's global pool (one per core).
    pub threads: Option<usize>,
    /// Told about every finished clip (e.g. to draw a progress bar); `None` = nobody.
    pub observer: Option<&'a dyn ExtractObserver>,
}

impl std::fmt::Debug for ExtractOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtractOptions")
            .field("cache_dir", &self.cache_dir)
            .field("threads", &self.threads)
            .field("observer", &self.observer.map(|_| "..."))
            .finish()
    }
}

/// The windows of one clip.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipWindows {
    /// Index into `Dataset::clips`.
    pub clip: usize,
    /// Non-silent windows, each `n_mels x window_frames` row-major, in time order. When every
    /// window of the clip is silent, the single loudest one is kept (so every clip still gets a
    /// prediction); it keeps `silent = true` so callers can tell.
    pub windows: Vec<Window>,
    /// What the decoder worked around in this clip's file (placeholder WAV sizes, skipped
    /// lossy packets, a truncated stream), in words; empty when clean or read from the cache.
    pub warnings: Vec<String>,
}

/// A clip that could not be turned into windows; it is left out of [`FeatureSet::clips`].
#[derive(Debug, Clone, PartialEq)]
pub struct FailedClip {
    /// Index into `Dataset::clips`.
    pub clip: usize,
    /// The audio file.
    pub path: PathBuf,
    /// Why (decoder error text, or "no analysis window").
    pub error: String,
}

/// Where the windows came from, for reporting and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractStats {
    /// Clips read from the cache (no audio decoded).
    pub cache_hits: usize,
    /// Clips decoded and computed.
    pub computed: usize,
    /// Cache entries found corrupt or truncated and recomputed (included in `computed`).
    pub cache_corrupt: usize,
    /// Cache entries that could not be written (the windows are still returned).
    pub cache_write_errors: usize,
}

/// Windows for a dataset, with the configuration that produced them.
#[derive(Debug, Clone)]
pub struct FeatureSet {
    /// The feature configuration used.
    pub config: FeatureConfig,
    /// One entry per successfully processed clip, ordered by clip index.
    pub clips: Vec<ClipWindows>,
    /// Clips that failed (bad audio); the rest of the dataset is unaffected.
    pub failed: Vec<FailedClip>,
    /// Cache statistics.
    pub stats: ExtractStats,
}

impl FeatureSet {
    /// Total number of windows over all clips.
    pub fn window_count(&self) -> usize {
        self.clips.iter().map(|c| c.windows.len()).sum()
    }
}

enum Outcome {
    Ok(ClipWindows),
    Failed(FailedClip),
}

#[derive(Default)]
struct Counters {
    hits: AtomicUsize,
    /// Clips finished (any outcome), for the observer.
    done: AtomicUsize,
    computed: AtomicUsize,
    corrupt: AtomicUsize,
    write_errors: AtomicUsize,
}

/// Extracts analysis windows for every clip of `ds`, in parallel, using the cache when given.
///
/// One bad audio file is reported in [`FeatureSet::failed`] and skipped, never fatal. Errors are
/// only returned for an invalid `cfg`, an unusable cache folder or an impossible thread count.
pub fn extract(
    ds: &Dataset,
    cfg: &FeatureConfig,
    opts: &ExtractOptions<'_>,
) -> Result<FeatureSet, DataError> {
    let all: Vec<usize> = (0..ds.clips.len()).collect();
    extract_clips(ds, &all, cfg, opts)
}

/// [`extract`] for only the clips `clips` (indices into `Dataset::clips`; out-of-range and
/// repeated indices are ignored), e.g. the ones `hark eval --fold 3` scores. Cache entries are
/// the same as [`extract`]'s, so a later full extraction reuses them. The observer is told
/// the number of selected clips; [`FeatureSet::clips`] keeps dataset indices, ordered.
///
/// # Errors
/// As [`extract`].
pub fn extract_clips(
    ds: &Dataset,
    clips: &[usize],
    cfg: &FeatureConfig,
    opts: &ExtractOptions<'_>,
) -> Result<FeatureSet, DataError> {
    let mut selected: Vec<usize> = clips
        .iter()
        .copied()
        .filter(|&i| i < ds.clips.len())
        .collect();
    selected.sort_unstable();
    selected.dedup();
    // Validate the config once, up front, so per-thread construction cannot fail differently.
    WindowExtractor::new(cfg)?;
    let cache_dir = match opts.cache_dir {
        Some(dir) => {
            let d = cache::config_dir(dir, cfg);
            cache::prepare_config_dir(&d, cfg).map_err(|source| DataError::CacheDir {
                path: d.clone(),
                source,
            })?;
            Some(d)
        }
        None => None,
    };
    let counters = Counters::default();
    let job = Job {
        ds,
        selected: &selected,
        cfg,
        cache_dir: cache_dir.as_deref(),
        counters: &counters,
        observer: opts.observer,
    };
    if let Some(o) = opts.observer {
        o.on_start(selected.len());
    }
    let outcomes: Vec<Outcome> = match opts.threads {
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .map_err(|e| DataError::ThreadPool {
                threads,
                reason: e.to_string(),
            })?
            .install(|| job.run()),
        None => job.run(),
    };
    let mut clips = Vec::with_capacity(outcomes.len());
    let mut failed = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Ok(c) => clips.push(c),
            Outcome::Failed(f) => failed.push(f),
        }
    }
    let stats = ExtractStats {
        cache_hits: counters.hits.into_inner(),
        computed: counters.computed.into_inner(),
        cache_corrupt: counters.corrupt.into_inner(),
        cache_write_errors: counters.write_errors.into_inner(),
    };
    if let Some(o) = opts.observer {
        o.on_finish(&stats);
    }
    Ok(FeatureSet {
        config: cfg.clone(),
        clips,
        failed,
        stats,
    })
}

struct Job<'a> {
    ds: &'a Dataset,
    /// Dataset indices to extract, ascending.
    selected: &'a [usize],
    cfg: &'a FeatureConfig,
    cache_dir: Option<&'a Path>,
    counters: &'a Counters,
    observer: Option<&'a dyn ExtractObserver>,
}

impl Job<'_> {
    fn run(&self) -> Vec<Outcome> {
        let total = self.selected.len();
        self.selected
            .par_iter()
            .map_init(
                // Checked in `extract`; `None` here would mean the config changed underfoot.
                || WindowExtractor::new(self.cfg).ok(),
                |extractor, &i| {
                    let (out, cached) = self.one(extractor, i, &self.ds.clips[i]);
                    if let Some(o) = self.observer {
                        let done = self.counters.done.fetch_add(1, Ordering::Relaxed) + 1;
                        o.on_clip(done, total, cached);
                    }
                    out
                },
            )
            .collect()
    }

    /// One clip's windows, and whether they came from the cache.
    fn one(
        &self,
        extractor: &mut Option<WindowExtractor>,
        i: usize,
        clip: &Clip,
    ) -> (Outcome, bool) {
        let (n_mels, frames) = (self.cfg.n_mels, self.cfg.window_frames);
        let entry = self.cache_dir.and_then(|d| cache::entry_path(d, clip));
        if let Some(entry) = &entry
            && let Ok(bytes) = std::fs::read(entry)
        {
            match cache::decode(&bytes, n_mels, frames) {
                Some(windows) => {
                    self.counters.hits.fetch_add(1, Ordering::Relaxed);
                    return (
                        Outcome::Ok(ClipWindows {
                            clip: i,
                            windows,
                            warnings: Vec::new(),
                        }),
                        true,
                    );
                }
                None => {
                    self.counters.corrupt.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        (self.compute(extractor, i, clip, entry.as_deref()), false)
    }

    /// Decodes and computes one clip's windows, writing them to the cache `entry` when given.
    fn compute(
        &self,
        extractor: &mut Option<WindowExtractor>,
        i: usize,
        clip: &Clip,
        entry: Option<&Path>,
    ) -> Outcome {
        let (n_mels, frames) = (self.cfg.n_mels, self.cfg.window_frames);
        let fail = |error: String| {
            Outcome::Failed(FailedClip {
                clip: i,
                path: clip.path.clone(),
                error,
            })
        };
        let Some(extractor) = extractor.as_mut() else {
            return fail("feature extractor could not be built".into());
        };
        let offset = clip.start.unwrap_or(0.0);
        let opts = LoadOptions {
            sr: Some(self.cfg.sr),
            mono: true,
            offset,
            duration: clip.end.map(|end| end - offset),
        };
        let audio = match hark_audio::load(&clip.path, &opts) {
            Ok(a) => a,
            Err(e) => return fail(crate::error::with_causes(&e)),
        };
        self.counters.computed.fetch_add(1, Ordering::Relaxed);
        let windows = select_windows(extractor.windows(&audio.samples));
        if windows.is_empty() {
            return fail(format!(
                "no analysis window ({} samples at {} Hz)",
                audio.samples.len(),
                self.cfg.sr
            ));
        }
        if let Some(entry) = entry {
            let bytes = cache::encode(&windows, n_mels, frames);
            if cache::write_atomic(entry, &bytes).is_err() {
                self.counters.write_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        Outcome::Ok(ClipWindows {
            clip: i,
            windows,
            warnings: audio.warnings.iter().map(ToString::to_string).collect(),
        })
    }
}

/// The windows a clip decision uses: the non-silent ones, in order; if all are silent, the single
/// loudest (so every clip still gets a prediction); empty input gives empty output.
pub fn select_windows(windows: Vec<Window>) -> Vec<Window> {
    if windows.iter().any(|w| !w.silent) {
        return windows.into_iter().filter(|w| !w.silent).collect();
    }
    windows
        .into_iter()
        .max_by(|a, b| a.energy_dbfs.total_cmp(&b.energy_dbfs))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(start_frame: usize, silent: bool, energy_dbfs: f32) -> Window {
        Window {
            start_frame,
            values: vec![0.0; 2],
            silent,
            energy_dbfs,
        }
    }

    #[test]
    fn silent_windows_are_dropped_unless_all_are_silent() {
        let mixed = vec![w(0, true, -70.0), w(1, false, -20.0), w(2, false, -30.0)];
        let kept: Vec<usize> = select_windows(mixed)
            .iter()
            .map(|w| w.start_frame)
            .collect();
        assert_eq!(kept, [1, 2]);
        let quiet = vec![w(0, true, -90.0), w(1, true, -65.0), w(2, true, -80.0)];
        let kept = select_windows(quiet);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].start_frame, 1);
        assert!(select_windows(Vec::new()).is_empty());
    }
}
