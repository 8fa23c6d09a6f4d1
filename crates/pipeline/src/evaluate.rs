//! Evaluation protocol (eval stage): predict chosen clips with a model, decide each clip,
//! score the decisions, sweep thresholds, and say whether the model has seen the clips and
//! which of their labels it does not know.

use std::collections::HashMap;

use hark_data::{Dataset, FeatureSet, Split};
use hark_eval::{Metrics, ThresholdPoint};
use hark_infer::{Decision, DecisionConfig, HeldOut, ModelFile, Overlap, Predictor};

use crate::PipelineError;
use crate::partition::{clip_key, list};

/// One clip's prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipPrediction {
    /// Index into the dataset's clips.
    pub clip: usize,
    /// Pooled clip probabilities (all zero for a silent clip).
    pub probs: Vec<f32>,
    /// The decision: class, unknown or silent.
    pub decision: Decision,
}

/// Position of each dataset clip in the feature set (clips that failed are absent).
pub(crate) fn feature_index(fs: &FeatureSet) -> HashMap<usize, usize> {
    fs.clips
        .iter()
        .enumerate()
        .map(|(pos, cw)| (cw.clip, pos))
        .collect()
}

/// Predict every given clip that has features. Silent windows are never shown to the model;
/// a clip with no other window is decided [`Decision::SILENT`].
pub fn predict_clips(
    predictor: &Predictor,
    fs: &FeatureSet,
    clips: &[usize],
    decision: &DecisionConfig,
) -> Result<Vec<ClipPrediction>, PipelineError> {
    let index = feature_index(fs);
    let mut out = Vec::with_capacity(clips.len());
    let mut buf = Vec::new();
    for &ci in clips {
        let Some(&pos) = index.get(&ci) else { continue };
        let c = predictor.decide_clip(&fs.clips[pos].windows, decision, &mut buf)?;
        out.push(ClipPrediction {
            clip: ci,
            probs: c.probs,
            decision: c.decision,
        });
    }
    if out.is_empty() && !clips.is_empty() {
        return Err(PipelineError::NoClips {
            what: "could be predicted (all failed to decode or had no analysis window)".into(),
        });
    }
    Ok(out)
}

/// Metrics of clip decisions against the dataset's labels (clips whose label is not one
/// of `classes` are skipped; silent and unknown clips count as not covered).
pub fn metrics_for(
    ds: &Dataset,
    classes: &[String],
    preds: &[ClipPrediction],
) -> Result<Metrics, PipelineError> {
    let mut y_true = Vec::with_capacity(preds.len());
    let mut y_pred = Vec::with_capacity(preds.len());
    for p in preds {
        if let Some(t) = classes.iter().position(|c| *c == ds.clips[p.clip].label) {
            y_true.push(t);
            y_pred.push(p.decision.label);
        }
    }
    Ok(hark_eval::evaluate(classes, &y_true, &y_pred)?)
}

/// Precision/coverage sweep ([`hark_eval::threshold_sweep`]) of the predicted clips whose
/// label is one of `classes`; silent clips are left out (no threshold answers them).
pub(crate) fn sweep_of(
    ds: &Dataset,
    classes: &[String],
    preds: &[ClipPrediction],
) -> Result<Vec<ThresholdPoint>, PipelineError> {
    let (probs, y_true): (Vec<&[f32]>, Vec<usize>) = preds
        .iter()
        .filter(|p| !p.decision.silent)
        .filter_map(|p| {
            classes
                .iter()
                .position(|c| *c == ds.clips[p.clip].label)
                .map(|t| (p.probs.as_slice(), t))
        })
        .unzip();
    Ok(hark_eval::threshold_sweep(&probs, &y_true)?)
}

/// Clips to evaluate: those of `fold` and/or `split`. By default, the fold the model held out
/// for testing (from its `held` record, when `ds` has that fold), else the test split when the
/// dataset has one, else every clip.
///
/// # Errors
/// [`PipelineError::NoSuch`] naming the splits or folds that exist; [`PipelineError::NoClips`].
pub fn select_eval_clips(
    ds: &Dataset,
    fold: Option<u32>,
    split: Option<&str>,
    held: &HeldOut,
) -> Result<Vec<usize>, PipelineError> {
    let fold = match (fold, split, held.test_folds.as_slice()) {
        (None, None, [f]) if ds.folds().contains(f) => Some(*f),
        _ => fold,
    };
    let present: Vec<Split> = {
        let mut v: Vec<Split> = ds.clips.iter().filter_map(|c| c.split).collect();
        v.sort_by_key(|s| s.name());
        v.dedup();
        v
    };
    let split = match split {
        Some(s) => {
            let parsed = Split::parse(s).filter(|p| present.contains(p));
            Some(parsed.ok_or_else(|| PipelineError::NoSuch {
                kind: "split",
                given: s.to_string(),
                available: list(present.iter()),
            })?)
        }
        None if fold.is_none() && present.contains(&Split::Test) => Some(Split::Test),
        None => None,
    };
    if let Some(f) = fold {
        crate::partition::check_fold(ds, f)?;
    }
    let clips: Vec<usize> = ds.indices_where(|c| {
        fold.is_none_or(|f| c.fold == Some(f)) && split.is_none_or(|s| c.split == Some(s))
    });
    if clips.is_empty() {
        return Err(PipelineError::NoClips {
            what: format!(
                "selected for evaluation ({})",
                match (fold, split) {
                    (Some(f), Some(s)) => format!("fold {f}, split {s}"),
                    (Some(f), None) => format!("fold {f}"),
                    (None, Some(s)) => format!("split {s}"),
                    (None, None) => "every clip".into(),
                }
            ),
        });
    }
    Ok(clips)
}

/// Everything one evaluation produces.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Clip predictions under the decision used.
    pub preds: Vec<ClipPrediction>,
    /// Scores of those decisions.
    pub metrics: Metrics,
    /// Precision/coverage at every threshold (on the same clips, silent ones excluded).
    pub sweep: Vec<ThresholdPoint>,
    /// How many scored clips the model was trained or validated on (from its record).
    pub overlap: Overlap,
    /// False when the model file has no record of its training clips (format 1).
    pub overlap_known: bool,
    /// Whether `ds` is the dataset the model was trained on (same clips and labels, by
    /// fingerprint); `None` when the model file does not record it.
    pub same_dataset: Option<bool>,
    /// Clips decided silent.
    pub silent: usize,
    /// Labels of scored clips that are not among the model's classes, with how many clips
    /// carry each (sorted by label): those clips are predicted but left out of the metrics.
    pub foreign_labels: Vec<(String, usize)>,
}

/// Labels of `clips` that are not in `classes`, with their clip counts, sorted by label.
fn foreign_labels(ds: &Dataset, classes: &[String], clips: &[usize]) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for &i in clips {
        let l = ds.clips[i].label.as_str();
        if !classes.iter().any(|c| c == l) {
            *counts.entry(l).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(l, n)| (l.to_string(), n))
        .collect()
}

/// "dog (the model has Dog)" for labels that differ from a class only in case or spaces.
fn near_misses(labels: &[String], classes: &[String]) -> Vec<String> {
    let norm = |s: &str| s.trim().to_lowercase().replace([' ', '-'], "_");
    labels
        .iter()
        .filter_map(|l| {
            classes
                .iter()
                .find(|c| norm(c) == norm(l))
                .map(|c| format!("'{l}' (the model has '{c}')"))
        })
        .collect()
}

/// In words, what [`Evaluation::foreign_labels`] means for the scores; `None` when empty.
pub fn foreign_labels_message(foreign: &[(String, usize)], classes: &[String]) -> Option<String> {
    if foreign.is_empty() {
        return None;
    }
    let n: usize = foreign.iter().map(|f| f.1).sum();
    let listed: Vec<String> = foreign
        .iter()
        .map(|(l, k)| format!("'{l}' ({k} clip{})", if *k == 1 { "" } else { "s" }))
        .collect();
    let labels: Vec<String> = foreign.iter().map(|f| f.0.clone()).collect();
    let near = near_misses(&labels, classes);
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!(
            "; spelled differently from a class: {} (rename them in the dataset)",
            near.join(", ")
        )
    };
    Some(format!(
        "{n} clip{} labelled {} the model does not know (its classes: {}); they are predicted (see predictions.csv) but left out of the scores{hint}",
        if n == 1 { " is" } else { "s are" },
        listed.join(", "),
        classes.join(", ")
    ))
}

/// Score `file` on `clips` of `ds` with `decision`, and check them against the model's
/// record of what it was trained and validated on.
pub fn evaluate(
    ds: &Dataset,
    fs: &FeatureSet,
    file: &ModelFile,
    clips: &[usize],
    decision: &DecisionConfig,
) -> Result<Evaluation, PipelineError> {
    let classes = &file.meta.class_names;
    if !ds.classes.iter().any(|l| classes.contains(l)) {
        let near = near_misses(&ds.classes, classes);
        return Err(PipelineError::LabelMismatch {
            dataset: ds.classes.join(", "),
            model: classes.join(", "),
            hint: if near.is_empty() {
                String::new()
            } else {
                format!(
                    " Some differ only in spelling: {} (rename them in the dataset).",
                    near.join(", ")
                )
            },
        });
    }
    let predictor = Predictor::new(file)?;
    let preds = predict_clips(&predictor, fs, clips, decision)?;
    let sweep = sweep_of(ds, classes, &preds)?;
    let metrics = metrics_for(ds, classes, &preds)?;
    let held = &file.meta.held_out;
    let keys: Vec<_> = ds.clips.iter().map(clip_key).collect();
    let overlap = held.overlap(preds.iter().map(|p| keys[p.clip]));
    let same_dataset = (!held.dataset_fingerprint.is_empty()).then(|| {
        let fp = hark_infer::dataset_fingerprint(
            keys.iter()
                .zip(&ds.clips)
                .map(|(k, c)| (*k, c.label.as_str())),
        );
        fp == held.dataset_fingerprint
    });
    let silent = preds.iter().filter(|p| p.decision.silent).count();
    let scored: Vec<usize> = preds.iter().map(|p| p.clip).collect();
    let foreign_labels = foreign_labels(ds, classes, &scored);
    Ok(Evaluation {
        preds,
        metrics,
        sweep,
        overlap,
        overlap_known: held.is_known(),
        same_dataset,
        silent,
        foreign_labels,
    })
}

/// The clips of `ds` the model was validated on (from its held-out record), ascending: what
/// [`tune_threshold`] scores, so what has to be extracted for it.
pub fn validation_clips(ds: &Dataset, file: &ModelFile) -> Vec<usize> {
    let held = &file.meta.held_out;
    (0..ds.clips.len())
        .filter(|&i| {
            held.validated
                .binary_search(&clip_key(&ds.clips[i]))
                .is_ok()
        })
        .collect()
}

/// The lowest threshold reaching precision `target` on the model's own **validation**
/// clips (from its held-out record), with the pooling it was tuned for. `Ok(None)` when no
/// threshold reaches it.
///
/// # Errors
/// [`PipelineError::NoClips`] when none of the model's validation clips is in `ds` (tune on
/// the dataset the model was trained on), or the model has no record of them.
pub fn tune_threshold(
    ds: &Dataset,
    fs: &FeatureSet,
    file: &ModelFile,
    target: f32,
) -> Result<Option<DecisionConfig>, PipelineError> {
    let val = validation_clips(ds, file);
    if val.is_empty() {
        return Err(PipelineError::NoClips {
            what: "of the model's validation set are in this dataset, so a threshold cannot be tuned without touching test data (tune on the dataset the model was trained on; models from hark before format 2 have no record: retrain)".into(),
        });
    }
    let raw = DecisionConfig {
        threshold: None,
        ..file.meta.decision
    };
    let e = evaluate(ds, fs, file, &val, &raw)?;
    Ok(
        hark_eval::pick_threshold(&e.sweep, target).map(|t| DecisionConfig {
            threshold: Some(t),
            tuned_for: Some(raw.aggregation),
            ..raw
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_defaults_to_the_fold_the_model_held_out() {
        let mut ds = Dataset {
            root: ".".into(),
            name: "t".into(),
            format: hark_data::DatasetFormat::Manifest,
            classes: vec!["a".into()],
            clips: vec![],
            problems: vec![],
        };
        for i in 0..9u32 {
            let mut c = hark_data::Clip::new(format!("{i}.wav"), "a");
            c.fold = Some(i % 3 + 1);
            ds.clips.push(c);
        }
        let held = HeldOut {
            test_folds: vec![2],
            ..Default::default()
        };
        let picked = select_eval_clips(&ds, None, None, &held).expect("fold 2");
        assert_eq!(picked, vec![1, 4, 7]);
        // An explicit choice wins; no record means every clip.
        assert_eq!(
            select_eval_clips(&ds, Some(3), None, &held).expect("fold 3"),
            vec![2, 5, 8]
        );
        assert_eq!(
            select_eval_clips(&ds, None, None, &HeldOut::default())
                .expect("all")
                .len(),
            9
        );
        let e = select_eval_clips(&ds, None, Some("test"), &held).expect_err("no splits");
        assert!(e.to_string().contains("none"), "{e}");
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn labels_the_model_does_not_know_are_named_with_a_spelling_hint() {
        let mut ds = Dataset {
            root: ".".into(),
            name: "t".into(),
            format: hark_data::DatasetFormat::Manifest,
            classes: vec!["Dog".into(), "cat".into(), "rain".into()],
            clips: vec![],
            problems: vec![],
        };
        for (i, l) in ["Dog", "cat", "cat", "rain", "Dog"].iter().enumerate() {
            ds.clips.push(hark_data::Clip::new(format!("{i}.wav"), *l));
        }
        let classes: Vec<String> = vec!["dog".into(), "rain".into()];
        let f = foreign_labels(&ds, &classes, &[0, 1, 2, 3]);
        assert_eq!(f, vec![("Dog".to_string(), 1), ("cat".to_string(), 2)]);
        let msg = foreign_labels_message(&f, &classes).expect("message");
        assert!(
            msg.contains("3 clips are labelled 'Dog' (1 clip), 'cat' (2 clips)"),
            "{msg}"
        );
        assert!(msg.contains("its classes: dog, rain"), "{msg}");
        assert!(msg.contains("'Dog' (the model has 'dog')"), "{msg}");
        assert_eq!(foreign_labels_message(&[], &classes), None);
    }
}
