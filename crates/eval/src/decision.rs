//! Clip decisions: window probabilities -> one clip label (or "unknown").
//!
//! Flow: model (window probabilities) -> **train/eval: clip decisions** -> predict.
//!
//! Shapes: window probabilities are row-major `n_windows x n_classes`; clip probabilities
//! are one row of `n_classes`.

use serde::{Deserialize, Serialize};

use crate::EvalError;

/// How window predictions of one clip are pooled into a clip prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// Mean of the window probability vectors ("probabilistic voting"). Default.
    #[default]
    Mean,
    /// Each window votes for its arg-max class; clip probability = vote share.
    Majority,
}

/// Decision settings a trained model carries so prediction needs no flags.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionConfig {
    /// Window pooling. Default mean.
    pub aggregation: Aggregation,
    /// A clip whose top probability is below this is reported as unknown. `None` = never.
    pub threshold: Option<f32>,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        DecisionConfig {
            aggregation: Aggregation::Mean,
            threshold: None,
        }
    }
}

/// The decision for one clip.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Predicted class index; `None` = "unknown" (top probability below the threshold,
    /// or no usable probability at all).
    pub label: Option<usize>,
    /// The top clip probability (reported even when the label is unknown; 0 when the
    /// probabilities were empty or all NaN).
    pub probability: f32,
}

/// Index of the largest value. Ties go to the lowest index; NaN never wins.
/// `None` for an empty slice or when every value is NaN.
pub fn argmax(values: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        match best {
            Some((_, b)) if v <= b => {}
            _ => best = Some((i, v)),
        }
    }
    best.map(|(i, _)| i)
}

/// Pool window probabilities (`n_windows x n_classes`, row-major) into clip
/// probabilities (`n_classes`), writing into `out`. No allocation.
///
/// - [`Aggregation::Mean`]: `out[c]` = mean over windows of `p[w][c]` (NaN values count as 0).
/// - [`Aggregation::Majority`]: each window votes for its arg-max class (ties within a
///   window go to the lowest index; an all-NaN window does not vote);
///   `out[c]` = vote share = votes / n_windows.
///   **Ties for the top vote share are broken by mean probability**: the tied class with
///   the highest mean probability (then the lowest index) is raised by one f32 step
///   (`f32::next_up`, a relative change of ~1e-7) so that [`decide`] and any arg-max pick
///   it; every other value is the exact vote share.
///
/// Zero windows give all-zero clip probabilities (and [`decide`] then answers with
/// probability 0).
///
/// # Errors
/// [`EvalError::ShapeMismatch`] if `window_probs.len()` is not a multiple of `n_classes`
/// or `n_classes == 0`; [`EvalError::LengthMismatch`] if `out.len() != n_classes`.
pub fn aggregate_into(
    window_probs: &[f32],
    n_classes: usize,
    agg: Aggregation,
    out: &mut [f32],
) -> Result<(), EvalError> {
    if n_classes == 0 || !window_probs.len().is_multiple_of(n_classes) {
        return Err(EvalError::ShapeMismatch {
            what: "window probabilities",
            len: window_probs.len(),
            n_classes,
        });
    }
    if out.len() != n_classes {
        return Err(EvalError::LengthMismatch {
            what: "clip probability buffer",
            expected: n_classes,
            actual: out.len(),
        });
    }
    out.fill(0.0);
    let n_windows = window_probs.len() / n_classes;
    if n_windows == 0 {
        return Ok(());
    }
    let inv = 1.0 / n_windows as f32;
    match agg {
        Aggregation::Mean => {
            for row in window_probs.chunks_exact(n_classes) {
                for (o, &p) in out.iter_mut().zip(row) {
                    if !p.is_nan() {
                        *o += p;
                    }
                }
            }
            out.iter_mut().for_each(|o| *o *= inv);
        }
        Aggregation::Majority => {
            for row in window_probs.chunks_exact(n_classes) {
                if let Some(c) = argmax(row) {
                    out[c] += 1.0;
                }
            }
            let top = out.iter().copied().fold(0.0f32, f32::max);
            let tied = out.iter().filter(|&&v| v == top).count();
            let winner = if top > 0.0 && tied > 1 {
                // Tie-break by mean probability among the tied classes, computed on the fly
                // (no scratch buffer: one pass over the windows per tied class).
                let mut best: Option<(usize, f32)> = None;
                for c in (0..n_classes).filter(|&c| out[c] == top) {
                    let mean: f32 = window_probs
                        .chunks_exact(n_classes)
                        .map(|r| if r[c].is_nan() { 0.0 } else { r[c] })
                        .sum::<f32>()
                        * inv;
                    if best.is_none_or(|(_, b)| mean > b) {
                        best = Some((c, mean));
                    }
                }
                best.map(|(c, _)| c)
            } else {
                None
            };
            out.iter_mut().for_each(|o| *o *= inv);
            if let Some(c) = winner {
                out[c] = out[c].next_up();
            }
        }
    }
    Ok(())
}

/// Allocating wrapper of [`aggregate_into`]: returns `n_classes` clip probabilities.
///
/// Bad shapes never panic: a trailing partial row of `window_probs` is ignored, and
/// `n_classes == 0` gives an empty vector. Use [`aggregate_into`] to have bad shapes
/// reported as errors instead.
pub fn aggregate(window_probs: &[f32], n_classes: usize, agg: Aggregation) -> Vec<f32> {
    let mut out = vec![0.0; n_classes];
    if n_classes == 0 {
        return out;
    }
    let whole = window_probs.len() - window_probs.len() % n_classes;
    // Shapes are made valid above, so this cannot fail.
    let _ = aggregate_into(&window_probs[..whole], n_classes, agg, &mut out);
    out
}

/// Decide one clip: the arg-max class of `clip_probs`, or unknown (`label: None`) when
/// a threshold is set and the top probability is **strictly below** it (a probability
/// equal to the threshold is answered). Ties go to the lowest class index; NaN is
/// ignored; empty or all-NaN probabilities give unknown with probability 0.
pub fn decide(clip_probs: &[f32], threshold: Option<f32>) -> Decision {
    let Some(label) = argmax(clip_probs) else {
        return Decision {
            label: None,
            probability: 0.0,
        };
    };
    let probability = clip_probs[label];
    match threshold {
        Some(t) if probability < t => Decision {
            label: None,
            probability,
        },
        _ => Decision {
            label: Some(label),
            probability,
        },
    }
}

impl DecisionConfig {
    /// Check the settings: a threshold must be a probability in `[0, 1]`.
    ///
    /// # Errors
    /// [`EvalError::BadThreshold`] naming the value.
    pub fn validate(&self) -> Result<(), EvalError> {
        match self.threshold {
            Some(t) if !(0.0..=1.0).contains(&t) => Err(EvalError::BadThreshold { value: t }),
            _ => Ok(()),
        }
    }

    /// Pool window probabilities (`n_windows x n_classes`) and decide, in one call.
    /// See [`aggregate`] and [`decide`].
    pub fn decide_windows(&self, window_probs: &[f32], n_classes: usize) -> Decision {
        decide(
            &aggregate(window_probs, n_classes, self.aggregation),
            self.threshold,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Float tolerance for pooled probabilities (sums of a few f32 values).
    const TOL: f32 = 1e-6;

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= TOL)
    }

    #[test]
    fn mean_of_three_windows() {
        // Hand computed: column means of the three rows.
        let w = [0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.4, 0.4, 0.2];
        let clip = aggregate(&w, 3, Aggregation::Mean);
        assert!(close(&clip, &[0.4, 1.4 / 3.0, 0.4 / 3.0]), "{clip:?}");
        assert_eq!(decide(&clip, None).label, Some(1));
    }

    #[test]
    fn majority_is_vote_share_and_can_disagree_with_mean() {
        // Windows vote 0, 0, 2: class 0 wins 2/3 even though class 2 has the highest mean.
        let w = [0.4, 0.3, 0.3, 0.4, 0.3, 0.3, 0.0, 0.0, 1.0];
        let clip = aggregate(&w, 3, Aggregation::Majority);
        assert!(close(&clip, &[2.0 / 3.0, 0.0, 1.0 / 3.0]), "{clip:?}");
        assert_eq!(decide(&clip, None).label, Some(0));
        assert_eq!(
            decide(&aggregate(&w, 3, Aggregation::Mean), None).label,
            Some(2)
        );
    }

    #[test]
    fn majority_tie_broken_by_mean_probability() {
        // Two windows vote 0, two vote 1: tie at 0.5. Mean of class 1 (0.75) beats class 0
        // (0.6 + 0.6 + 0.1 + 0.2) / 4 = 0.375, so class 1 must win although it has the
        // higher index.
        let w = [0.6, 0.4, 0.6, 0.4, 0.1, 0.9, 0.2, 0.8];
        let clip = aggregate(&w, 2, Aggregation::Majority);
        assert!(close(&clip, &[0.5, 0.5]), "{clip:?}");
        assert!(clip[1] > clip[0]);
        assert_eq!(
            decide(&clip, None),
            Decision {
                label: Some(1),
                probability: clip[1]
            }
        );
    }

    #[test]
    fn aggregate_into_reports_bad_shapes() {
        let mut out = [0.0; 3];
        let err = aggregate_into(&[0.5; 4], 3, Aggregation::Mean, &mut out);
        assert!(matches!(
            err,
            Err(EvalError::ShapeMismatch {
                len: 4,
                n_classes: 3,
                ..
            })
        ));
        let mut short = [0.0; 2];
        let err = aggregate_into(&[0.5; 3], 3, Aggregation::Mean, &mut short);
        assert!(matches!(
            err,
            Err(EvalError::LengthMismatch {
                expected: 3,
                actual: 2,
                ..
            })
        ));
        // Dirty output buffer is overwritten, not accumulated into.
        let mut dirty = [9.0; 2];
        aggregate_into(&[0.25, 0.75], 2, Aggregation::Mean, &mut dirty).expect("valid shapes");
        assert!(close(&dirty, &[0.25, 0.75]));
        // The allocating wrapper ignores a partial trailing row instead of panicking.
        assert!(close(
            &aggregate(&[0.25, 0.75, 0.9], 2, Aggregation::Mean),
            &[0.25, 0.75]
        ));
        assert!(aggregate(&[0.5], 0, Aggregation::Mean).is_empty());
        assert!(close(
            &aggregate(&[], 2, Aggregation::Majority),
            &[0.0, 0.0]
        ));
    }

    #[test]
    fn threshold_at_below_above() {
        let clip = [0.2, 0.7, 0.1];
        assert_eq!(
            decide(&clip, Some(0.7)).label,
            Some(1),
            "equal to threshold is answered"
        );
        assert_eq!(
            decide(&clip, Some(0.6)).label,
            Some(1),
            "above threshold is answered"
        );
        let d = decide(&clip, Some(0.71));
        assert_eq!(d.label, None, "below threshold is unknown");
        assert_eq!(d.probability, 0.7);
        assert_eq!(decide(&clip, None).label, Some(1));
        assert_eq!(
            decide(&[], Some(0.1)),
            Decision {
                label: None,
                probability: 0.0
            }
        );
        assert_eq!(decide(&[f32::NAN, 0.3], None).label, Some(1));
    }

    #[test]
    fn config_round_trips_and_decides() {
        let cfg = DecisionConfig {
            aggregation: Aggregation::Majority,
            threshold: Some(0.5),
        };
        let json = serde_json::to_string(&cfg).expect("serialisable");
        assert_eq!(json, r#"{"aggregation":"majority","threshold":0.5}"#);
        let back: DecisionConfig = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, cfg);
        assert!(cfg.validate().is_ok());
        let bad = DecisionConfig {
            threshold: Some(1.5),
            ..cfg
        };
        assert!(matches!(bad.validate(), Err(EvalError::BadThreshold { value }) if value == 1.5));
        let nan = DecisionConfig {
            threshold: Some(f32::NAN),
            ..cfg
        };
        assert!(nan.validate().is_err());
        // Votes 0, 1, 2: a three-way tie at 1/3 < 0.5 -> unknown.
        let w = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(cfg.decide_windows(&w, 3).label, None);
    }
}
