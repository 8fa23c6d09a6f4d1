//! Cross-validation summary: per-fold metrics -> mean +- std and a pooled confusion
//! matrix. Flow: model -> **train/eval: cross-validation** (`hark cv DATASET --folds official`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::metrics::Metrics;

/// Mean and standard deviation of one score over folds.
///
/// `std` is the **sample** standard deviation (divides by `n - 1`, numpy `ddof=1`,
/// pandas' default): folds are a sample of the ways the data could be split, and this is
/// the less optimistic of the two. It is 0 for a single fold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Arithmetic mean over folds.
    pub mean: f64,
    /// Sample standard deviation over folds (`n - 1` denominator; 0 when `n == 1`).
    pub std: f64,
    /// Number of folds.
    pub n: usize,
}

impl MeanStd {
    /// Mean and sample std of `values`; all zero when empty.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return MeanStd {
                mean: 0.0,
                std: 0.0,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = if n < 2 {
            0.0
        } else {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        MeanStd { mean, std, n }
    }
}

impl MeanStd {
    /// Percent form with a real plus-minus sign, for people: `80.0% ± 5.2`.
    pub fn percent_pm(&self) -> String {
        format!("{:.1}% \u{b1} {:.1}", 100.0 * self.mean, 100.0 * self.std)
    }
}

impl fmt::Display for MeanStd {
    /// Percent form for fractions: `80.0% +- 5.2` (std in percentage points).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}% +- {:.1}", 100.0 * self.mean, 100.0 * self.std)
    }
}

/// One fold's name and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// Fold name, e.g. `"fold1"`.
    pub name: String,
    /// Metrics on the fold's held-out clips.
    pub metrics: Metrics,
}

/// Summary of a cross-validation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Each fold, in the order given.
    pub folds: Vec<FoldResult>,
    /// Accuracy over folds (mean +- sample std).
    pub accuracy: MeanStd,
    /// Balanced accuracy over folds (mean +- sample std).
    pub balanced_accuracy: MeanStd,
    /// Macro F1 over folds (mean +- sample std).
    pub macro_f1: MeanStd,
    /// Metrics of all folds' held-out clips pooled together (from the summed confusion
    /// matrices). Its accuracy is clip-weighted, so it differs from `accuracy.mean`
    /// when folds differ in size.
    pub pooled: Metrics,
}

impl CvSummary {
    /// Summarise folds given as `(fold name, metrics)`.
    ///
    /// # Errors
    /// [`EvalError::Empty`] for no folds, [`EvalError::ClassListMismatch`] when folds were
    /// scored with different class lists.
    pub fn from_folds(folds: Vec<(String, Metrics)>) -> Result<Self, EvalError> {
        let Some((_, first)) = folds.first() else {
            return Err(EvalError::Empty { what: "fold list" });
        };
        let mut pooled = first.confusion.clone();
        for (name, m) in folds.iter().skip(1) {
            pooled.pool(&m.confusion, name)?;
        }
        let over = |f: fn(&Metrics) -> f64| {
            MeanStd::of(&folds.iter().map(|(_, m)| f(m)).collect::<Vec<_>>())
        };
        Ok(CvSummary {
            accuracy: over(|m| m.accuracy),
            balanced_accuracy: over(|m| m.balanced_accuracy),
            macro_f1: over(|m| m.macro_f1),
            pooled: Metrics::from_confusion(pooled)?,
            folds: folds
                .into_iter()
                .map(|(name, metrics)| FoldResult { name, metrics })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate;

    /// Tolerance for means and std of a few fractions.
    const TOL: f64 = 1e-12;

    #[test]
    fn mean_and_sample_std() {
        // Hand computed: mean 0.8; deviations -0.1, 0, 0.1, 0.05, -0.05; squares sum 0.025;
        // sample variance 0.025 / 4 = 0.00625 -> std 0.0790569...
        let s = MeanStd::of(&[0.7, 0.8, 0.9, 0.85, 0.75]);
        assert!((s.mean - 0.8).abs() < TOL);
        assert!((s.std - 0.00625f64.sqrt()).abs() < TOL);
        assert_eq!(s.n, 5);
        assert_eq!(s.to_string(), "80.0% +- 7.9");
        assert_eq!(s.percent_pm(), "80.0% \u{b1} 7.9");
        assert_eq!(MeanStd::of(&[0.5]).std, 0.0);
    }

    #[test]
    fn folds_pool_confusion_and_summarise() {
        let classes: Vec<String> = vec!["a".into(), "b".into()];
        // fold1: 3/4 right; fold2: 1/2 right, one unknown.
        let f1 = evaluate(
            &classes,
            &[0, 0, 1, 1],
            &[Some(0), Some(0), Some(1), Some(0)],
        )
        .expect("valid");
        let f2 = evaluate(&classes, &[0, 1], &[None, Some(1)]).expect("valid");
        let cv =
            CvSummary::from_folds(vec![("fold1".into(), f1), ("fold2".into(), f2)]).expect("valid");
        assert!((cv.accuracy.mean - 0.625).abs() < TOL);
        // Two values 0.75 and 0.5: sample std = |0.75 - 0.5| / sqrt(2).
        assert!((cv.accuracy.std - 0.25 / 2f64.sqrt()).abs() < TOL);
        assert_eq!(cv.pooled.confusion.counts, vec![vec![2, 0], vec![1, 2]]);
        assert_eq!(cv.pooled.confusion.unknown, Some(vec![1, 0]));
        assert_eq!(cv.pooled.n_clips, 6);
        assert!((cv.pooled.accuracy - 4.0 / 6.0).abs() < TOL);
        assert_eq!(cv.folds[1].name, "fold2");
    }

    #[test]
    fn folds_must_share_classes() {
        let ab: Vec<String> = vec!["a".into(), "b".into()];
        let ac: Vec<String> = vec!["a".into(), "c".into()];
        let m1 = evaluate(&ab, &[0], &[Some(0)]).expect("valid");
        let m2 = evaluate(&ac, &[0], &[Some(0)]).expect("valid");
        let err = CvSummary::from_folds(vec![("f1".into(), m1), ("f2".into(), m2)]);
        assert!(matches!(err, Err(EvalError::ClassListMismatch { ref fold, .. }) if fold == "f2"));
        assert!(matches!(
            CvSummary::from_folds(vec![]),
            Err(EvalError::Empty { .. })
        ));
    }
}
