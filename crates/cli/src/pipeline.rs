//! Pipeline glue shared by `train`, `eval`, `cv` and `predict`: dataset -> cached features ->
//! window sets -> model -> clip decisions.
//!
//! Flow: sits on top of every library crate (data/features -> train -> eval); no numeric code here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hark_data::{Dataset, ExtractOptions, FeatureSet, Split};
use hark_eval::{DecisionConfig, aggregate, decide};
use hark_features::FeatureConfig;
use hark_train::{Predictor, WindowSet};
use rand::SeedableRng;
use rand::seq::SliceRandom;

/// Open a dataset and print what validation found (missing files, bad rows) to stderr.
pub fn open_dataset(path: &Path) -> Result<Dataset> {
    let ds =
        hark_data::open(path).with_context(|| format!("cannot open dataset {}", path.display()))?;
    for p in &ds.problems {
        eprintln!("warning: {p}");
    }
    if !ds.problems.is_empty() {
        eprintln!(
            "warning: {} in {}; those entries are skipped",
            hark_data::summarize(&ds.problems),
            path.display()
        );
    }
    Ok(ds)
}

/// Feature cache folder: the one given, else `$HARK_CACHE_DIR`, `$XDG_CACHE_HOME/hark` or
/// `~/.cache/hark` (never inside the dataset, which may be read-only), else `.hark-cache` in
/// the current folder.
pub fn cache_dir(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(hark_data::cache::default_cache_dir)
        .unwrap_or_else(|| PathBuf::from(".hark-cache"))
}

/// Compute (or load cached) features for every clip, reporting clips that failed.
pub fn extract(
    ds: &Dataset,
    cfg: &FeatureConfig,
    cache: PathBuf,
    quiet: bool,
) -> Result<FeatureSet> {
    let bar = crate::progress::ExtractBar::new(quiet);
    let opts = ExtractOptions {
        cache_dir: Some(&cache),
        threads: None,
        observer: Some(&bar),
    };
    let fs = hark_data::extract(ds, cfg, &opts).context("feature extraction failed")?;
    for f in &fs.failed {
        eprintln!("warning: skipped {}: {}", f.path.display(), f.error);
    }
    Ok(fs)
}

/// Clip indices of a dataset split into train / validation / test.
#[derive(Debug, Default, Clone)]
pub struct Partition {
    pub train: Vec<usize>,
    pub val: Vec<usize>,
    pub test: Vec<usize>,
}

/// Partition for `hark train`: test clips (split = test, or `test_fold`) are never trained on;
/// validation is the split/fold given, else a stratified `fraction` of the training clips.
pub fn partition(
    ds: &Dataset,
    val_fold: Option<u32>,
    test_fold: Option<u32>,
    fraction: f32,
    seed: u64,
) -> Partition {
    let mut p = Partition::default();
    for (i, c) in ds.clips.iter().enumerate() {
        if c.split == Some(Split::Test) || (test_fold.is_some() && c.fold == test_fold) {
            p.test.push(i);
        } else if c.split == Some(Split::Validation) || (val_fold.is_some() && c.fold == val_fold) {
            p.val.push(i);
        } else {
            p.train.push(i);
        }
    }
    if p.val.is_empty() && fraction > 0.0 {
        let (train, val) = stratified_split(ds, &p.train, fraction, seed);
        p.train = train;
        p.val = val;
    }
    p
}

/// Split `clips` into (rest, held-out) with about `fraction` of each class held out, seeded.
pub fn stratified_split(
    ds: &Dataset,
    clips: &[usize],
    fraction: f32,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut by_class: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in clips {
        by_class
            .entry(ds.clips[i].label.as_str())
            .or_default()
            .push(i);
    }
    let mut labels: Vec<&str> = by_class.keys().copied().collect();
    labels.sort_unstable();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x5EED_5A11);
    let (mut rest, mut held) = (Vec::new(), Vec::new());
    for l in labels {
        let mut v = by_class.remove(l).unwrap_or_default();
        v.shuffle(&mut rng);
        let n_held = ((v.len() as f32 * fraction).round() as usize).min(v.len().saturating_sub(1));
        held.extend_from_slice(&v[..n_held]);
        rest.extend_from_slice(&v[n_held..]);
    }
    rest.sort_unstable();
    held.sort_unstable();
    (rest, held)
}

/// Position of each dataset clip in the feature set (clips that failed are absent).
pub fn feature_index(fs: &FeatureSet) -> HashMap<usize, usize> {
    fs.clips
        .iter()
        .enumerate()
        .map(|(pos, cw)| (cw.clip, pos))
        .collect()
}

/// Windows of the given clips with labels mapped through `classes` (model class order).
/// Clips whose label is not in `classes` or whose features failed are skipped.
pub fn window_set(
    ds: &Dataset,
    fs: &FeatureSet,
    clips: &[usize],
    classes: &[String],
) -> Result<WindowSet> {
    let index = feature_index(fs);
    let cfg = &fs.config;
    let mut set = WindowSet::new(cfg.n_mels, cfg.window_frames);
    for &ci in clips {
        let Some(&pos) = index.get(&ci) else { continue };
        let Some(label) = classes.iter().position(|c| *c == ds.clips[ci].label) else {
            continue;
        };
        for w in &fs.clips[pos].windows {
            set.push(&w.values, label as u32, ci as u32)?;
        }
    }
    Ok(set)
}

/// One clip's prediction.
#[derive(Debug, Clone)]
pub struct ClipPrediction {
    pub clip: usize,
    pub probs: Vec<f32>,
    pub label: Option<usize>,
    pub probability: f32,
}

/// One clip's decision from its windows: model probabilities per window, pooled, then thresholded.
/// `buf` is reused between calls to hold the concatenated windows. Returns the clip probabilities.
pub fn predict_windows(
    predictor: &Predictor,
    windows: &[hark_features::Window],
    decision: &DecisionConfig,
    buf: &mut Vec<f32>,
) -> Result<(Vec<f32>, hark_eval::Decision)> {
    buf.clear();
    for w in windows {
        buf.extend_from_slice(&w.values);
    }
    let probs = predictor.predict(buf, windows.len())?;
    let clip_probs = aggregate(&probs, predictor.n_classes(), decision.aggregation);
    let d = decide(&clip_probs, decision.threshold);
    Ok((clip_probs, d))
}

/// Predict every given clip that has features: window probabilities pooled per the decision config.
pub fn predict_clips(
    predictor: &Predictor,
    fs: &FeatureSet,
    clips: &[usize],
    decision: &DecisionConfig,
) -> Result<Vec<ClipPrediction>> {
    let index = feature_index(fs);
    let mut out = Vec::with_capacity(clips.len());
    let mut buf = Vec::new();
    for &ci in clips {
        let Some(&pos) = index.get(&ci) else { continue };
        let windows = &fs.clips[pos].windows;
        if windows.is_empty() {
            continue;
        }
        let (probs, d) = predict_windows(predictor, windows, decision, &mut buf)?;
        out.push(ClipPrediction {
            clip: ci,
            probs,
            label: d.label,
            probability: d.probability,
        });
    }
    if out.is_empty() && !clips.is_empty() {
        bail!("no clip could be predicted (all failed to decode or had no windows)");
    }
    Ok(out)
}
