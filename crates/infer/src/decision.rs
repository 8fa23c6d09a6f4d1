//! Clip decisions (predict stage): window probabilities -> one clip outcome: a class,
//! "unknown" (top probability below the threshold) or "silent" (every window was below
//! the silence gate, so the model was not asked).
//!
//! Flow: model (window probabilities) -> **clip decisions** -> eval / predict / stream.
//!
//! Shapes: window probabilities are row-major `n_windows x n_classes`; clip probabilities
//! are one row of `n_classes`.

use serde::{Deserialize, Serialize};

use crate::InferError;

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
///
/// A threshold only means something for the pooling it was tuned with: a mean probability
/// of 0.6 and a vote share of 0.6 are different things. `tuned_for` records that pooling;
/// [`DecisionConfig::with_aggregation`] warns when they part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionConfig {
    /// Window pooling. Default mean.
    pub aggregation: Aggregation,
    /// A clip whose top probability is below this is reported as unknown. `None` = never.
    pub threshold: Option<f32>,
    /// The pooling `threshold` was tuned for on validation data; `None` when the threshold
    /// was set by hand (or there is none).
    pub tuned_for: Option<Aggregation>,
}

impl std::fmt::Display for Aggregation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Aggregation::Mean => "mean",
            Aggregation::Majority => "majority",
        })
    }
}

/// What one clip (or window, or stream segment) was decided to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A class index.
    Class(usize),
    /// The top probability was below the threshold.
    Unknown,
    /// Every window was below the silence gate: nothing to classify.
    Silent,
}

impl Outcome {
    /// The label to print: the class name, `unknown` or `silent`.
    pub fn name<'a>(&self, classes: &'a [String]) -> &'a str {
        match self {
            Outcome::Class(c) => classes.get(*c).map(String::as_str).unwrap_or("?"),
            Outcome::Unknown => UNKNOWN,
            Outcome::Silent => SILENT,
        }
    }
}

/// Label printed for a clip below the threshold.
pub const UNKNOWN: &str = "unknown";
/// Label printed for a clip with no window above the silence gate.
pub const SILENT: &str = "silent";

/// The decision for one clip.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Predicted class index; `None` = "unknown" (top probability below the threshold,
    /// or no usable probability at all) or "silent" (see `silent`).
    pub label: Option<usize>,
    /// The top clip probability (reported even when the label is unknown; 0 when the
    /// probabilities were empty or all NaN, and for silent clips).
    pub probability: f32,
    /// True when every window was below the silence gate and the model was not asked.
    #[serde(default)]
    pub silent: bool,
}

impl Decision {
    /// The decision for a clip with no window above the silence gate.
    pub const SILENT: Decision = Decision {
        label: None,
        probability: 0.0,
        silent: true,
    };

    /// Class, unknown or silent.
    pub fn outcome(&self) -> Outcome {
        match (self.label, self.silent) {
            (_, true) => Outcome::Silent,
            (Some(c), false) => Outcome::Class(c),
            (None, false) => Outcome::Unknown,
        }
    }
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
/// [`InferError::ShapeMismatch`] if `window_probs.len()` is not a multiple of `n_classes`
/// or `n_classes == 0`; [`InferError::LengthMismatch`] if `out.len() != n_classes`.
pub fn aggregate_into(
    window_probs: &[f32],
    n_classes: usize,
    agg: Aggregation,
    out: &mut [f32],
) -> Result<(), InferError> {
    if n_classes == 0 || !window_probs.len().is_multiple_of(n_classes) {
        return Err(InferError::ShapeMismatch {
            what: "window probabilities",
            len: window_probs.len(),
            n_classes,
        });
    }
    if out.len() != n_classes {
        return Err(InferError::LengthMismatch {
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
            silent: false,
        };
    };
    let probability = clip_probs[label];
    match threshold {
        Some(t) if probability < t => Decision {
            label: None,
            probability,
            silent: false,
        },
        _ => Decision {
            label: Some(label),
            probability,
            silent: false,
        },
    }
}

impl DecisionConfig {
    /// Check the settings: a threshold must be a probability in `[0, 1]`.
    ///
    /// # Errors
    /// [`InferError::BadThreshold`] naming the value.
    pub fn validate(&self) -> Result<(), InferError> {
        match self.threshold {
            Some(t) if !(0.0..=1.0).contains(&t) => Err(InferError::BadThreshold { value: t }),
            _ => Ok(()),
        }
    }

    /// The same settings with another pooling, and a warning when the stored threshold was
    /// tuned for a different pooling (its meaning changes: pass a new threshold).
    pub fn with_aggregation(self, aggregation: Aggregation) -> (DecisionConfig, Option<String>) {
        let warning = match (self.threshold, self.tuned_for) {
            (Some(t), Some(tuned)) if tuned != aggregation => Some(format!(
                "the model's unknown-threshold {t:.4} was tuned for {tuned} pooling, not {aggregation}; \
                 pass --threshold to set one for {aggregation} pooling"
            )),
            _ => None,
        };
        (
            DecisionConfig {
                aggregation,
                ..self
            },
            warning,
        )
    }

    /// The same settings with a threshold set by hand (validated; `tuned_for` cleared).
    ///
    /// # Errors
    /// [`InferError::BadThreshold`] when `threshold` is outside `[0, 1]`.
    pub fn with_threshold(self, threshold: Option<f32>) -> Result<DecisionConfig, InferError> {
        let d = DecisionConfig {
            threshold,
            tuned_for: None,
            ..self
        };
        d.validate()?;
        Ok(d)
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
                probability: clip[1],
                silent: false,
            }
        );
    }

    #[test]
    fn aggregate_into_reports_bad_shapes() {
        let mut out = [0.0; 3];
        let err = aggregate_into(&[0.5; 4], 3, Aggregation::Mean, &mut out);
        assert!(matches!(
            err,
            Err(InferError::ShapeMismatch {
                len: 4,
                n_classes: 3,
                ..
            })
        ));
        let mut short = [0.0; 2];
        let err = aggregate_into(&[0.5; 3], 3, Aggregation::Mean, &mut short);
        assert!(matches!(
            err,
            Err(InferError::LengthMismatch {
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
                probability: 0.0,
                silent: false,
            }
        );
        assert_eq!(decide(&[f32::NAN, 0.3], None).label, Some(1));
    }

    #[test]
    fn config_round_trips_and_decides() {
        let cfg = DecisionConfig {
            aggregation: Aggregation::Majority,
            threshold: Some(0.5),
            tuned_for: Some(Aggregation::Majority),
        };
        let json = serde_json::to_string(&cfg).expect("serialisable");
        assert_eq!(
            json,
            r#"{"aggregation":"majority","threshold":0.5,"tuned_for":"majority"}"#
        );
        let back: DecisionConfig = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, cfg);
        assert!(cfg.validate().is_ok());
        let bad = DecisionConfig {
            threshold: Some(1.5),
            ..cfg
        };
        assert!(matches!(bad.validate(), Err(InferError::BadThreshold { value }) if value == 1.5));
        let nan = DecisionConfig {
            threshold: Some(f32::NAN),
            ..cfg
        };
        assert!(nan.validate().is_err());
        // Votes 0, 1, 2: a three-way tie at 1/3 < 0.5 -> unknown.
        let w = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(cfg.decide_windows(&w, 3).label, None);
    }

    #[test]
    fn changing_the_pooling_of_a_tuned_threshold_warns() {
        let tuned = DecisionConfig {
            aggregation: Aggregation::Mean,
            threshold: Some(0.62),
            tuned_for: Some(Aggregation::Mean),
        };
        let (same, w) = tuned.with_aggregation(Aggregation::Mean);
        assert!(w.is_none());
        assert_eq!(same, tuned);
        let (changed, w) = tuned.with_aggregation(Aggregation::Majority);
        let w = w.expect("a warning");
        assert!(
            w.contains("tuned for mean") && w.contains("--threshold"),
            "{w}"
        );
        assert_eq!(changed.aggregation, Aggregation::Majority);
        // A hand-set threshold carries no tuning, so nothing to warn about.
        let by_hand = tuned.with_threshold(Some(0.3)).expect("valid");
        assert_eq!(by_hand.tuned_for, None);
        assert!(by_hand.with_aggregation(Aggregation::Majority).1.is_none());
        assert!(matches!(
            tuned.with_threshold(Some(-0.1)),
            Err(InferError::BadThreshold { .. })
        ));
    }

    #[test]
    fn silent_is_its_own_outcome() {
        let classes = vec!["dog".to_string(), "rain".to_string()];
        assert_eq!(Decision::SILENT.outcome(), Outcome::Silent);
        assert_eq!(Decision::SILENT.outcome().name(&classes), SILENT);
        let unknown = decide(&[0.5, 0.5], Some(0.9));
        assert_eq!(unknown.outcome(), Outcome::Unknown);
        assert_eq!(unknown.outcome().name(&classes), UNKNOWN);
        assert_eq!(decide(&[0.2, 0.8], None).outcome().name(&classes), "rain");
    }
}
