//! Threshold analysis for "unknown": how precision trades against coverage as the
//! confidence threshold rises. Flow: model -> **train/eval** (choose the threshold on
//! validation data) -> predict (apply it with [`crate::decide`]).

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::decision::argmax;

/// Precision and coverage if clips with top probability `< threshold` were "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdPoint {
    /// The threshold: a clip is answered when its top probability is `>= threshold`.
    pub threshold: f32,
    /// Accuracy among answered clips: `correct / answered` (0 when none answered).
    pub precision: f32,
    /// Fraction of all clips answered: `answered / n_clips`.
    pub coverage: f32,
    /// Number of clips answered.
    pub answered: usize,
    /// Number of answered clips whose arg-max class is the true class.
    pub correct: usize,
}

/// Exact precision/coverage sweep over every distinct top probability.
///
/// `clip_probs` holds one row of `n_classes` probabilities per clip (any row type:
/// `Vec<f32>`, `&[f32]`...); `y_true[i]` is the true class of clip `i`. Each clip's
/// prediction is its arg-max ([`argmax`]). For each distinct top probability `t` (sorted
/// ascending) the point describes `decide(p, Some(t))`: clips with top `>= t` are answered.
/// The first point therefore has the full coverage of all clips with a usable (non-NaN)
/// probability; coverage falls along the vector. Clips whose probabilities are all NaN
/// are never answered. Cost: O(n log n) in the number of clips.
///
/// # Errors
/// [`EvalError::LengthMismatch`] when `clip_probs` and `y_true` differ in length,
/// [`EvalError::Empty`] when there are no clips.
pub fn threshold_sweep<P: AsRef<[f32]>>(
    clip_probs: &[P],
    y_true: &[usize],
) -> Result<Vec<ThresholdPoint>, EvalError> {
    if clip_probs.len() != y_true.len() {
        return Err(EvalError::LengthMismatch {
            what: "threshold_sweep y_true",
            expected: clip_probs.len(),
            actual: y_true.len(),
        });
    }
    if clip_probs.is_empty() {
        return Err(EvalError::Empty {
            what: "threshold_sweep clips",
        });
    }
    let n = clip_probs.len();
    // (top probability, correct?) for every clip with a usable probability.
    let mut tops: Vec<(f32, bool)> = clip_probs
        .iter()
        .zip(y_true)
        .filter_map(|(p, &y)| {
            let p = p.as_ref();
            argmax(p).map(|c| (p[c], c == y))
        })
        .collect();
    // Descending by probability: walking forward, each prefix is the answered set.
    tops.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = Vec::new();
    let (mut answered, mut correct) = (0usize, 0usize);
    let mut i = 0;
    while i < tops.len() {
        let t = tops[i].0;
        while i < tops.len() && tops[i].0 == t {
            answered += 1;
            correct += usize::from(tops[i].1);
            i += 1;
        }
        points.push(ThresholdPoint {
            threshold: t,
            precision: correct as f32 / answered as f32,
            coverage: answered as f32 / n as f32,
            answered,
            correct,
        });
    }
    points.reverse();
    Ok(points)
}

/// [`threshold_sweep`] on flat clip probabilities (`n_clips x n_classes`, row-major).
///
/// # Errors
/// [`EvalError::ShapeMismatch`] when the length is not a multiple of `n_classes`, plus
/// those of [`threshold_sweep`].
pub fn threshold_sweep_flat(
    clip_probs: &[f32],
    n_classes: usize,
    y_true: &[usize],
) -> Result<Vec<ThresholdPoint>, EvalError> {
    if n_classes == 0 || !clip_probs.len().is_multiple_of(n_classes) {
        return Err(EvalError::ShapeMismatch {
            what: "clip probabilities",
            len: clip_probs.len(),
            n_classes,
        });
    }
    let rows: Vec<&[f32]> = clip_probs.chunks_exact(n_classes).collect();
    threshold_sweep(&rows, y_true)
}

/// The LOWEST threshold (so the highest coverage) whose precision reaches
/// `target_precision` on the data the sweep was made from. `None` if no threshold does.
/// Precision need not rise monotonically with the threshold; this returns the first
/// point, in ascending threshold order, that reaches the target.
pub fn pick_threshold(sweep: &[ThresholdPoint], target_precision: f32) -> Option<f32> {
    sweep
        .iter()
        .filter(|p| p.answered > 0 && p.precision >= target_precision)
        .min_by(|a, b| a.threshold.total_cmp(&b.threshold))
        .map(|p| p.threshold)
}

/// The HIGHEST threshold that still answers at least `keep` (a share, 0-1) of the clips the
/// model got right in the sweep's data: below it lie at most `1 - keep` of the correct
/// answers. This is the maximum-softmax-probability rule for out-of-distribution inputs
/// (Hendrycks and Gimpel, 2017, at a fixed in-distribution recall): inputs less confident
/// than nearly every correct validation answer become "unknown". `None` when the sweep has
/// no correct clip.
pub fn keep_threshold(sweep: &[ThresholdPoint], keep: f32) -> Option<f32> {
    // The first point (lowest threshold) answers every usable clip.
    let total = sweep.first()?.correct;
    if total == 0 {
        return None;
    }
    sweep
        .iter()
        .filter(|p| p.correct as f32 >= keep * total as f32)
        .map(|p| p.threshold)
        .max_by(f32::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance for ratios of small counts computed in f32.
    const TOL: f32 = 1e-6;

    /// Five clips, two classes. Top probabilities and correctness (hand-made):
    /// 0.9 right, 0.8 wrong, 0.8 right, 0.6 right, 0.55 wrong.
    fn example() -> (Vec<Vec<f32>>, Vec<usize>) {
        let probs = vec![
            vec![0.9, 0.1],   // predicts 0, true 0: right
            vec![0.2, 0.8],   // predicts 1, true 0: wrong
            vec![0.8, 0.2],   // predicts 0, true 0: right
            vec![0.4, 0.6],   // predicts 1, true 1: right
            vec![0.55, 0.45], // predicts 0, true 1: wrong
        ];
        (probs, vec![0, 0, 0, 1, 1])
    }

    #[test]
    fn sweep_is_exact_on_hand_example() {
        let (probs, y) = example();
        let s = threshold_sweep(&probs, &y).expect("valid input");
        // Thresholds ascending over the 4 distinct tops; answered = clips with top >= t.
        let expected = [
            (0.55, 5, 3), // all answered: 3/5
            (0.6, 4, 3),  // 3/4
            (0.8, 3, 2),  // the two 0.8 clips enter together: 2/3
            (0.9, 1, 1),  // 1/1
        ];
        assert_eq!(s.len(), expected.len());
        for (p, &(t, answered, correct)) in s.iter().zip(&expected) {
            assert_eq!((p.threshold, p.answered, p.correct), (t, answered, correct));
            assert!((p.precision - correct as f32 / answered as f32).abs() < TOL);
            assert!((p.coverage - answered as f32 / 5.0).abs() < TOL);
        }
        // The flat form agrees.
        let flat: Vec<f32> = probs.concat();
        assert_eq!(threshold_sweep_flat(&flat, 2, &y).expect("valid input"), s);
    }

    #[test]
    fn pick_lowest_threshold_reaching_target() {
        let (probs, y) = example();
        let s = threshold_sweep(&probs, &y).expect("valid input");
        assert_eq!(
            pick_threshold(&s, 0.75),
            Some(0.6),
            "0.6 gives 3/4; 0.8 is higher but worse"
        );
        assert_eq!(pick_threshold(&s, 0.7), Some(0.6));
        assert_eq!(
            pick_threshold(&s, 0.6),
            Some(0.55),
            "everything answered already reaches 0.6"
        );
        assert_eq!(pick_threshold(&s, 0.76), Some(0.9));
        assert_eq!(pick_threshold(&s, 1.01), None);
        assert_eq!(pick_threshold(&[], 0.5), None);
    }

    #[test]
    fn keep_threshold_loses_at_most_the_share_of_correct_answers() {
        let (probs, y) = example();
        let s = threshold_sweep(&probs, &y).expect("valid input");
        // Correct tops: 0.9, 0.8, 0.6 (3 clips).
        assert_eq!(keep_threshold(&s, 1.0), Some(0.6), "all 3 kept");
        assert_eq!(keep_threshold(&s, 0.95), Some(0.6), "2.85 -> all 3 kept");
        assert_eq!(keep_threshold(&s, 0.6), Some(0.8), "2 of 3 kept");
        assert_eq!(keep_threshold(&s, 0.3), Some(0.9), "1 of 3 kept");
        assert_eq!(keep_threshold(&[], 0.5), None);
        let none_right = threshold_sweep(&[vec![0.2f32, 0.8]], &[0]).expect("valid");
        assert_eq!(keep_threshold(&none_right, 0.5), None);
    }

    #[test]
    fn sweep_rejects_bad_input() {
        let (probs, _) = example();
        assert!(matches!(
            threshold_sweep(&probs, &[0, 1]),
            Err(EvalError::LengthMismatch {
                expected: 5,
                actual: 2,
                ..
            })
        ));
        let none: [Vec<f32>; 0] = [];
        assert!(matches!(
            threshold_sweep(&none, &[]),
            Err(EvalError::Empty { .. })
        ));
        assert!(matches!(
            threshold_sweep_flat(&[0.1; 5], 2, &[0, 0]),
            Err(EvalError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn nan_clips_are_never_answered() {
        let probs = vec![vec![f32::NAN, f32::NAN], vec![0.3, 0.7]];
        let s = threshold_sweep(&probs, &[0, 1]).expect("valid input");
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].answered, s[0].correct), (1, 1));
        assert!((s[0].coverage - 0.5).abs() < TOL);
    }
}
