//! Cross-validation (eval protocol): the dataset's official folds, or a stratified or
//! grouped k-fold for datasets without them; each round's partition, training and scores.

use std::str::FromStr;
use std::sync::atomic::AtomicBool;

use hark_data::{Dataset, FeatureSet};
use hark_eval::Metrics;
use hark_infer::{DecisionConfig, Predictor};
use hark_train::TrainObserver;

use crate::partition::split_clips;
use crate::{
    ClipPrediction, FitOptions, Partition, PipelineError, Trained, fit, metrics_for, predict_clips,
};

/// How `hark cv` forms folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldScheme {
    /// The dataset's own fold column (ESC-50, UrbanSound8K, a manifest's `fold`).
    Official,
    /// Stratified k-fold over all clips, seeded ([`hark_train::stratified_kfold`]).
    KFold(usize),
}

impl FromStr for FoldScheme {
    type Err = String;

    /// `official`, or `k=N` with N >= 2.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("official") {
            return Ok(FoldScheme::Official);
        }
        let k = s
            .strip_prefix("k=")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| format!("'{s}' is neither 'official' nor 'k=N'"))?;
        if k < 2 {
            return Err(format!("k={k}: cross-validation needs at least 2 folds"));
        }
        Ok(FoldScheme::KFold(k))
    }
}

/// One cross-validation round: its name and test clips (the rest train and validate).
#[derive(Debug, Clone, PartialEq)]
pub struct CvFold {
    /// Fold number as the dataset names it (official) or 1..=k.
    pub fold: u32,
    /// Clip indices tested in this round.
    pub test: Vec<usize>,
}

/// The folds of `ds` under `scheme`. With `group_by` (a metadata column such as
/// `speaker`), `k=N` keeps every group's clips in one fold ([`hark_train::grouped_kfold`]):
/// the honest protocol when clips of one source must not sit on both sides.
///
/// # Errors
/// [`PipelineError::BadFolds`] when the dataset has fewer than two official folds, fewer
/// clips (or groups) than k, `group_by` with official folds, or a clip without the column.
pub fn cv_folds(
    ds: &Dataset,
    scheme: FoldScheme,
    group_by: Option<&str>,
    seed: u64,
) -> Result<Vec<CvFold>, PipelineError> {
    if let Some(col) = group_by {
        let FoldScheme::KFold(k) = scheme else {
            return Err(PipelineError::BadFolds {
                given: "official".into(),
                reason: format!(
                    "--group-by {col} needs --folds k=N (official folds are already fixed)"
                ),
            });
        };
        return grouped(ds, k, &col.to_ascii_lowercase());
    }
    match scheme {
        FoldScheme::Official => {
            let folds = ds.folds();
            if folds.len() < 2 {
                return Err(PipelineError::BadFolds {
                    given: "official".into(),
                    reason: format!(
                        "{} has no fold column (or only one fold); use --folds k=5 for a stratified 5-fold",
                        ds.name
                    ),
                });
            }
            Ok(folds
                .into_iter()
                .map(|f| CvFold {
                    fold: f,
                    test: ds.fold_indices(f),
                })
                .collect())
        }
        FoldScheme::KFold(k) => {
            if ds.clips.len() < k {
                return Err(PipelineError::BadFolds {
                    given: format!("k={k}"),
                    reason: format!("only {} clips", ds.clips.len()),
                });
            }
            let labels: Vec<&str> = ds.clips.iter().map(|c| c.label.as_str()).collect();
            let of = hark_train::stratified_kfold(&labels, k, seed);
            Ok((0..k)
                .map(|f| CvFold {
                    fold: f as u32 + 1,
                    test: (0..of.len()).filter(|&i| of[i] == f).collect(),
                })
                .collect())
        }
    }
}

fn grouped(ds: &Dataset, k: usize, col: &str) -> Result<Vec<CvFold>, PipelineError> {
    let mut groups = Vec::with_capacity(ds.clips.len());
    for c in &ds.clips {
        let Some(g) = c.columns.get(col) else {
            let have: Vec<&String> = c.columns.keys().collect();
            return Err(PipelineError::BadFolds {
                given: format!("k={k} --group-by {col}"),
                reason: format!(
                    "{} has no `{col}` value; its columns are: {}",
                    c.path.display(),
                    crate::partition::list(have.iter())
                ),
            });
        };
        groups.push(g.as_str());
    }
    let distinct: std::collections::BTreeSet<&str> = groups.iter().copied().collect();
    if distinct.len() < k {
        return Err(PipelineError::BadFolds {
            given: format!("k={k} --group-by {col}"),
            reason: format!("only {} distinct `{col}` values", distinct.len()),
        });
    }
    let of = hark_train::grouped_kfold(&groups, k);
    Ok((0..k)
        .map(|f| CvFold {
            fold: f as u32 + 1,
            test: (0..of.len()).filter(|&i| of[i] == f).collect(),
        })
        .collect())
}

/// The partition of one cross-validation round: test = the fold's clips; the other clips
/// train, with `validation_fraction` of them held out for validation, seeded: stratified by
/// label ([`hark_train::stratified_split`]), or — with `group_by` — that share of the
/// groups, so no group is on both sides of early stopping either. Split columns are
/// ignored: in cross-validation the folds decide what is tested.
pub fn cv_partition(
    ds: &Dataset,
    fold: &CvFold,
    validation_fraction: f32,
    seed: u64,
    group_by: Option<&str>,
) -> Partition {
    let rest: Vec<usize> = (0..ds.clips.len())
        .filter(|i| fold.test.binary_search(i).is_err())
        .collect();
    let (train, val, how) = match group_by {
        Some(col) => {
            let (t, v) = split_groups(
                ds,
                &rest,
                &col.to_ascii_lowercase(),
                validation_fraction,
                seed,
            );
            (
                t,
                v,
                format!(
                    "{:.0}% of the other folds' `{col}` groups",
                    validation_fraction * 100.0
                ),
            )
        }
        None => {
            let (t, v) = split_clips(ds, &rest, validation_fraction, seed);
            (
                t,
                v,
                format!(
                    "stratified {:.0}% of the other folds' clips",
                    validation_fraction * 100.0
                ),
            )
        }
    };
    Partition {
        train,
        val,
        test: fold.test.clone(),
        protocol: format!(
            "test: cross-validation fold {}; validation: {how}, seed {seed}",
            fold.fold
        ),
        test_folds: vec![fold.fold],
        validation_folds: vec![],
    }
}

/// Hold out about `fraction` of the groups (values of column `col`) among `clips`, seeded.
fn split_groups(
    ds: &Dataset,
    clips: &[usize],
    col: &str,
    fraction: f32,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let group = |i: usize| {
        ds.clips[i]
            .columns
            .get(col)
            .map(String::as_str)
            .unwrap_or("")
    };
    let mut distinct: Vec<&str> = clips.iter().map(|&i| group(i)).collect();
    distinct.sort_unstable();
    distinct.dedup();
    // One label for all: a plain seeded share of the groups, at least one, never all.
    let (_, held) = hark_train::stratified_split(&vec![0u8; distinct.len()], fraction, seed);
    let held: std::collections::BTreeSet<&str> = held.iter().map(|&g| distinct[g]).collect();
    clips.iter().partition(|&&i| !held.contains(group(i)))
}

/// Everything one cross-validation run needs besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct CvOptions {
    /// How folds are formed.
    pub scheme: FoldScheme,
    /// Keep clips with the same value of this column together (k-fold only).
    pub group_by: Option<String>,
    /// Model and training settings of every round. Its `train.validation_fraction` is the
    /// share of each round's training side held out for validation, and its `train.seed`
    /// seeds that split (the folds take the seed given to [`cv_folds`]).
    pub fit: FitOptions,
}

/// One finished cross-validation round.
#[derive(Debug, Clone)]
pub struct FoldResult {
    /// The round's fold number.
    pub fold: u32,
    /// The round's model (its file records the round's partition).
    pub trained: Trained,
    /// Decisions on the round's test clips.
    pub preds: Vec<ClipPrediction>,
    /// Scores of those decisions.
    pub metrics: Metrics,
}

/// Run one cross-validation round: partition ([`cv_partition`]), fit, and score the fold's
/// test clips with the round's model, every clip answered (no unknown-threshold). `stop` ends training early (the result then says
/// `trained.interrupted`; the caller decides whether a partial fold counts).
pub fn run_fold(
    ds: &Dataset,
    fs: &FeatureSet,
    fold: &CvFold,
    opts: &CvOptions,
    observer: &mut dyn TrainObserver,
    stop: &AtomicBool,
) -> Result<FoldResult, PipelineError> {
    let t = &opts.fit.train;
    let part = cv_partition(
        ds,
        fold,
        t.validation_fraction,
        t.seed,
        opts.group_by.as_deref(),
    );
    let trained = fit(ds, fs, &part, &opts.fit, observer, stop)?;
    let predictor = Predictor::new(&trained.file)?;
    // Cross-validation scores the closed-set decision (every clip answered: the accuracy
    // the literature reports); each round's model still stores the threshold chosen on its
    // validation clips, and the report's sweep shows what a threshold would do.
    let closed = DecisionConfig {
        threshold: None,
        ..trained.file.meta.decision
    };
    let preds = predict_clips(&predictor, fs, &part.test, &closed)?;
    let metrics = metrics_for(ds, &trained.file.meta.class_names, &preds)?;
    Ok(FoldResult {
        fold: fold.fold,
        trained,
        preds,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clip_is_tested_once_and_never_trained_in_its_round() {
        let mut ds = hark_data::Dataset {
            root: ".".into(),
            name: "t".into(),
            format: hark_data::DatasetFormat::Manifest,
            classes: vec!["a".into(), "b".into()],
            clips: vec![],
            problems: vec![],
        };
        for i in 0..30 {
            ds.clips.push(hark_data::Clip::new(
                format!("{i}.wav"),
                if i % 3 == 0 { "a" } else { "b" },
            ));
        }
        let folds = cv_folds(&ds, FoldScheme::KFold(3), None, 5).expect("folds");
        let mut tested = vec![0; 30];
        for f in &folds {
            let p = cv_partition(&ds, f, 0.2, 5, None);
            for &i in &p.test {
                tested[i] += 1;
                assert!(!p.train.contains(&i) && !p.val.contains(&i));
            }
            assert_eq!(p.train.len() + p.val.len() + p.test.len(), 30);
            assert!(!p.val.is_empty());
        }
        assert!(tested.iter().all(|&n| n == 1), "{tested:?}");
        let official = cv_folds(&ds, FoldScheme::Official, None, 5).expect_err("no fold column");
        assert!(official.to_string().contains("k=5"));
        // Grouped: clip i belongs to speaker i % 4; no speaker is on both sides of a round.
        for (i, c) in ds.clips.iter_mut().enumerate() {
            c.columns.insert("speaker".into(), format!("s{}", i % 4));
        }
        let folds = cv_folds(&ds, FoldScheme::KFold(3), Some("Speaker"), 5).expect("grouped");
        for f in &folds {
            let p = cv_partition(&ds, f, 0.2, 5, Some("speaker"));
            let speakers = |v: &[usize]| -> std::collections::BTreeSet<String> {
                v.iter()
                    .map(|&i| ds.clips[i].columns["speaker"].clone())
                    .collect()
            };
            let tested = speakers(&p.test);
            assert!(!tested.is_empty());
            assert!(speakers(&p.train).is_disjoint(&tested));
            assert!(speakers(&p.val).is_disjoint(&tested));
            assert!(!p.val.is_empty());
            assert!(
                speakers(&p.val).is_disjoint(&speakers(&p.train)),
                "validation speakers are not trained on either"
            );
        }
        let e = cv_folds(&ds, FoldScheme::KFold(3), Some("accent"), 5).expect_err("no column");
        assert!(e.to_string().contains("speaker"), "{e}");
        let e = cv_folds(&ds, FoldScheme::Official, Some("speaker"), 5).expect_err("official");
        assert!(e.to_string().contains("k=N"), "{e}");
    }

    #[test]
    fn schemes_parse_and_bad_ones_say_why() {
        assert_eq!("official".parse(), Ok(FoldScheme::Official));
        assert_eq!("k=5".parse(), Ok(FoldScheme::KFold(5)));
        assert!(
            "k=1"
                .parse::<FoldScheme>()
                .expect_err("k=1")
                .contains("at least 2")
        );
        assert!(
            "five"
                .parse::<FoldScheme>()
                .expect_err("five")
                .contains("k=N")
        );
    }
}
