//! Clip-level metrics: accuracy, balanced accuracy, per-class precision/recall/F1 and the
//! confusion matrix. Flow: model -> **train/eval: metrics** -> reports.
//!
//! Conventions follow scikit-learn (`classification_report`, `balanced_accuracy_score`,
//! `confusion_matrix`) with `zero_division = 0`: a class never predicted has precision 0,
//! a class with no true clips has recall 0, and F1 is 0 when precision + recall is 0.
//! "Unknown" (`None`) is not a class: an unknown answer counts as wrong for accuracy and
//! lowers the recall of the true class, but it is not a prediction of any class, so it
//! never lowers precision. The confusion matrix shows unknowns in an extra column.

use serde::{Deserialize, Serialize};

use crate::EvalError;

/// Label of the confusion-matrix column that counts "unknown" answers.
pub const UNKNOWN_LABEL: &str = "unknown";

/// Counts of (true class, predicted class) pairs.
///
/// Shape: `counts` is `n_classes x n_classes`, rows = true class, columns = predicted
/// class (scikit-learn's layout). `unknown[t]` counts clips of true class `t` answered
/// "unknown"; it is `None` when no clip was unknown, so the column only appears when used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Class names, index = class id.
    pub classes: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<usize>>,
    /// Per true class, how many clips were answered "unknown"; `None` when none were.
    pub unknown: Option<Vec<usize>>,
}

impl ConfusionMatrix {
    /// An all-zero matrix for these classes.
    pub fn new(classes: &[String]) -> Self {
        let n = classes.len();
        ConfusionMatrix {
            classes: classes.to_vec(),
            counts: vec![vec![0; n]; n],
            unknown: None,
        }
    }

    /// Count `n_clips` pairs. `y_pred[i] = None` means "unknown".
    ///
    /// # Errors
    /// [`EvalError::LengthMismatch`] when the slices differ in length,
    /// [`EvalError::ClassOutOfRange`] for an index `>= n_classes`.
    pub fn from_labels(
        classes: &[String],
        y_true: &[usize],
        y_pred: &[Option<usize>],
    ) -> Result<Self, EvalError> {
        if y_true.len() != y_pred.len() {
            return Err(EvalError::LengthMismatch {
                what: "y_pred",
                expected: y_true.len(),
                actual: y_pred.len(),
            });
        }
        let n = classes.len();
        let mut cm = ConfusionMatrix::new(classes);
        for (i, (&t, &p)) in y_true.iter().zip(y_pred).enumerate() {
            if t >= n {
                return Err(EvalError::ClassOutOfRange {
                    what: "y_true",
                    index: t,
                    position: i,
                    n_classes: n,
                });
            }
            match p {
                Some(p) if p >= n => {
                    return Err(EvalError::ClassOutOfRange {
                        what: "y_pred",
                        index: p,
                        position: i,
                        n_classes: n,
                    });
                }
                Some(p) => cm.counts[t][p] += 1,
                None => cm.unknown.get_or_insert_with(|| vec![0; n])[t] += 1,
            }
        }
        Ok(cm)
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Column labels: the class names, then [`UNKNOWN_LABEL`] when the unknown column exists.
    pub fn column_labels(&self) -> Vec<&str> {
        let mut cols: Vec<&str> = self.classes.iter().map(String::as_str).collect();
        if self.unknown.is_some() {
            cols.push(UNKNOWN_LABEL);
        }
        cols
    }

    /// Row `t` as printed: class columns, then the unknown count when that column exists.
    pub fn row(&self, t: usize) -> Vec<usize> {
        let mut row = self.counts.get(t).cloned().unwrap_or_default();
        if let Some(u) = &self.unknown {
            row.push(u.get(t).copied().unwrap_or(0));
        }
        row
    }

    /// Clips whose true class is `t` (row sum including unknown) = the class's support.
    pub fn support(&self, t: usize) -> usize {
        self.row(t).iter().sum()
    }

    /// Clips predicted as class `p` (column sum; unknowns excluded).
    pub fn predicted(&self, p: usize) -> usize {
        self.counts
            .iter()
            .map(|r| r.get(p).copied().unwrap_or(0))
            .sum()
    }

    /// All clips counted.
    pub fn total(&self) -> usize {
        (0..self.n_classes()).map(|t| self.support(t)).sum()
    }

    /// Clips answered "unknown".
    pub fn n_unknown(&self) -> usize {
        self.unknown.as_ref().map_or(0, |u| u.iter().sum())
    }

    /// Add another matrix's counts (pooling folds).
    ///
    /// # Errors
    /// [`EvalError::ClassListMismatch`] when the class lists differ (`fold` names the other).
    pub fn pool(&mut self, other: &ConfusionMatrix, fold: &str) -> Result<(), EvalError> {
        if other.classes != self.classes {
            return Err(EvalError::ClassListMismatch {
                fold: fold.to_string(),
                expected: self.classes.clone(),
                actual: other.classes.clone(),
            });
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
        }
        if let Some(theirs) = &other.unknown {
            let n = self.classes.len();
            let mine = self.unknown.get_or_insert_with(|| vec![0; n]);
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
        }
        Ok(())
    }
}

/// Scores of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Class name.
    pub name: String,
    /// Correct predictions of this class / all predictions of this class (0 if never predicted).
    pub precision: f64,
    /// Correct predictions of this class / clips of this class (0 if no clips).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 if both are 0).
    pub f1: f64,
    /// Clips whose true class this is.
    pub support: usize,
    /// Clips predicted as this class.
    pub predicted: usize,
}

/// Everything measured on one evaluation set (or pooled over folds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Clips evaluated.
    pub n_clips: usize,
    /// Clips given a class (not "unknown").
    pub answered: usize,
    /// Correct / all clips; "unknown" counts as wrong.
    pub accuracy: f64,
    /// Mean recall over the classes that have clips (scikit-learn `balanced_accuracy_score`).
    pub balanced_accuracy: f64,
    /// Answered / all clips (1 when no threshold is used).
    pub coverage: f64,
    /// Correct / answered clips (0 when nothing was answered).
    pub answered_accuracy: f64,
    /// Unweighted mean of per-class precision over classes with clips or predictions
    /// (scikit-learn `average="macro"` with its default label set).
    pub macro_precision: f64,
    /// Unweighted mean of per-class recall over the same classes.
    pub macro_recall: f64,
    /// Unweighted mean of per-class F1 over the same classes.
    pub macro_f1: f64,
    /// Mean of per-class precision weighted by support (scikit-learn `average="weighted"`).
    #[serde(default)]
    pub weighted_precision: f64,
    /// Mean of per-class recall weighted by support.
    #[serde(default)]
    pub weighted_recall: f64,
    /// Mean of per-class F1 weighted by support.
    #[serde(default)]
    pub weighted_f1: f64,
    /// One entry per class, in class-index order.
    pub per_class: Vec<ClassMetrics>,
    /// The counts everything above is computed from.
    pub confusion: ConfusionMatrix,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Support-weighted mean of one per-class score (0 when no class has clips).
fn weighted(per_class: &[ClassMetrics], score: impl Fn(&ClassMetrics) -> f64) -> f64 {
    let total: usize = per_class.iter().map(|m| m.support).sum();
    let sum: f64 = per_class.iter().map(|m| score(m) * m.support as f64).sum();
    if total == 0 { 0.0 } else { sum / total as f64 }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

impl Metrics {
    /// The "macro avg" and "weighted avg" rows of a per-class table, each (name, precision,
    /// recall, F1), as scikit-learn's `classification_report` prints them.
    pub fn average_rows(&self) -> [(&'static str, f64, f64, f64); 2] {
        [
            (
                "macro avg",
                self.macro_precision,
                self.macro_recall,
                self.macro_f1,
            ),
            (
                "weighted avg",
                self.weighted_precision,
                self.weighted_recall,
                self.weighted_f1,
            ),
        ]
    }

    /// Compute every score from a confusion matrix.
    ///
    /// # Errors
    /// [`EvalError::Empty`] when the matrix has no classes or counts no clips.
    pub fn from_confusion(confusion: ConfusionMatrix) -> Result<Self, EvalError> {
        if confusion.n_classes() == 0 {
            return Err(EvalError::Empty { what: "class list" });
        }
        let n_clips = confusion.total();
        if n_clips == 0 {
            return Err(EvalError::Empty {
                what: "evaluation set",
            });
        }
        let n = confusion.n_classes();
        let correct: usize = (0..n).map(|c| confusion.counts[c][c]).sum();
        let answered = n_clips - confusion.n_unknown();
        let per_class: Vec<ClassMetrics> = (0..n)
            .map(|c| {
                let tp = confusion.counts[c][c];
                let (support, predicted) = (confusion.support(c), confusion.predicted(c));
                let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                ClassMetrics {
                    name: confusion.classes[c].clone(),
                    precision,
                    recall,
                    f1,
                    support,
                    predicted,
                }
            })
            .collect();
        let present = || {
            per_class
                .iter()
                .filter(|m| m.support > 0 || m.predicted > 0)
        };
        Ok(Metrics {
            n_clips,
            answered,
            accuracy: ratio(correct, n_clips),
            balanced_accuracy: mean(per_class.iter().filter(|m| m.support > 0).map(|m| m.recall)),
            coverage: ratio(answered, n_clips),
            answered_accuracy: ratio(correct, answered),
            macro_precision: mean(present().map(|m| m.precision)),
            macro_recall: mean(present().map(|m| m.recall)),
            macro_f1: mean(present().map(|m| m.f1)),
            weighted_precision: weighted(&per_class, |m| m.precision),
            weighted_recall: weighted(&per_class, |m| m.recall),
            weighted_f1: weighted(&per_class, |m| m.f1),
            per_class,
            confusion,
        })
    }
}

/// Score clip predictions. `y_pred[i] = None` is "unknown" (counted as wrong).
/// See the module docs for the exact conventions.
///
/// # Errors
/// [`EvalError::LengthMismatch`], [`EvalError::ClassOutOfRange`], or [`EvalError::Empty`]
/// for no classes or no clips.
pub fn evaluate(
    classes: &[String],
    y_true: &[usize],
    y_pred: &[Option<usize>],
) -> Result<Metrics, EvalError> {
    Metrics::from_confusion(ConfusionMatrix::from_labels(classes, y_true, y_pred)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance for ratios of small integer counts.
    const TOL: f64 = 1e-12;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    /// Hand-computed case. Classes a, b, c. Confusion (rows true, cols predicted):
    /// ```text
    ///        a  b  c
    ///   a    3  1  0      support 4
    ///   b    1  1  0      support 2
    ///   c    1  1  0      support 2  (c is never predicted)
    /// ```
    /// precision: a 3/5, b 1/3, c 0 (zero_division) ; recall: a 3/4, b 1/2, c 0
    /// f1: a 2*.6*.75/1.35 = 2/3, b 2*(1/3)(1/2)/(5/6) = 0.4, c 0
    /// accuracy 4/8; balanced = (0.75 + 0.5 + 0)/3; macro F1 = (2/3 + 0.4 + 0)/3.
    #[test]
    fn hand_computed_scores() {
        let classes = names(&["a", "b", "c"]);
        let y_true = [0, 0, 0, 0, 1, 1, 2, 2];
        let y_pred = [
            Some(0),
            Some(0),
            Some(0),
            Some(1),
            Some(0),
            Some(1),
            Some(0),
            Some(1),
        ];
        let m = evaluate(&classes, &y_true, &y_pred).expect("valid input");
        assert_eq!(
            m.confusion.counts,
            vec![vec![3, 1, 0], vec![1, 1, 0], vec![1, 1, 0]]
        );
        assert_eq!(m.confusion.unknown, None);
        let want = [
            (0.6, 0.75, 2.0 / 3.0, 4),
            (1.0 / 3.0, 0.5, 0.4, 2),
            (0.0, 0.0, 0.0, 2),
        ];
        for (got, &(p, r, f, s)) in m.per_class.iter().zip(&want) {
            assert!(
                (got.precision - p).abs() < TOL,
                "{}: precision {}",
                got.name,
                got.precision
            );
            assert!(
                (got.recall - r).abs() < TOL,
                "{}: recall {}",
                got.name,
                got.recall
            );
            assert!((got.f1 - f).abs() < TOL, "{}: f1 {}", got.name, got.f1);
            assert_eq!(got.support, s);
        }
        assert!((m.accuracy - 0.5).abs() < TOL);
        assert!((m.balanced_accuracy - 1.25 / 3.0).abs() < TOL);
        assert!((m.macro_f1 - (2.0 / 3.0 + 0.4) / 3.0).abs() < TOL);
        assert!((m.coverage - 1.0).abs() < TOL);
        assert_eq!(m.answered, 8);
        // Weighted by support 4, 2, 2 (sklearn classification_report's "weighted avg").
        assert!((m.weighted_precision - (4.0 * 0.6 + 2.0 / 3.0) / 8.0).abs() < TOL);
        assert!((m.weighted_recall - (4.0 * 0.75 + 2.0 * 0.5) / 8.0).abs() < TOL);
        assert!((m.weighted_f1 - (4.0 * 2.0 / 3.0 + 2.0 * 0.4) / 8.0).abs() < TOL);
    }

    /// Unknowns: wrong for accuracy, lower recall, leave precision alone, get a column.
    #[test]
    fn unknown_handling() {
        let classes = names(&["dog", "siren"]);
        let y_true = [0, 0, 1, 1];
        let y_pred = [Some(0), None, Some(1), Some(0)];
        let m = evaluate(&classes, &y_true, &y_pred).expect("valid input");
        assert_eq!(
            m.confusion.column_labels(),
            vec!["dog", "siren", UNKNOWN_LABEL]
        );
        assert_eq!(m.confusion.row(0), vec![1, 0, 1]);
        assert_eq!(m.confusion.unknown, Some(vec![1, 0]));
        assert!((m.accuracy - 0.5).abs() < TOL, "unknown counts as wrong");
        assert!((m.coverage - 0.75).abs() < TOL);
        assert!((m.answered_accuracy - 2.0 / 3.0).abs() < TOL);
        // dog: predicted twice (clips 0 and 3), right once; recall 1/2 (unknown clip missed).
        assert!((m.per_class[0].precision - 0.5).abs() < TOL);
        assert!((m.per_class[0].recall - 0.5).abs() < TOL);
        // siren: predicted once, right; recall 1/2.
        assert!((m.per_class[1].precision - 1.0).abs() < TOL);
        assert!((m.balanced_accuracy - 0.5).abs() < TOL);
    }

    #[test]
    fn bad_input_is_an_error() {
        let classes = names(&["a", "b"]);
        assert!(matches!(
            evaluate(&classes, &[0, 1], &[Some(0)]),
            Err(EvalError::LengthMismatch { .. })
        ));
        assert!(matches!(
            evaluate(&classes, &[0, 2], &[Some(0), Some(1)]),
            Err(EvalError::ClassOutOfRange {
                index: 2,
                position: 1,
                ..
            })
        ));
        assert!(matches!(
            evaluate(&classes, &[0], &[Some(5)]),
            Err(EvalError::ClassOutOfRange { what: "y_pred", .. })
        ));
        assert!(matches!(
            evaluate(&classes, &[], &[]),
            Err(EvalError::Empty { .. })
        ));
        assert!(matches!(
            evaluate(&[], &[], &[]),
            Err(EvalError::Empty { .. })
        ));
    }
}
