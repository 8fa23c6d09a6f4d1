//! hark-eval: clip decisions, metrics and reports.
//!
//! Flow: audio -> features -> model -> **train/eval** -> predict/stream -> export.
//!
//! - [`decision`]: window probabilities (`n_windows x n_classes`) -> clip probabilities
//!   ([`aggregate`]) -> label or "unknown" ([`decide`]).
//! - [`threshold`]: exact precision/coverage sweep and threshold choice.
//! - [`metrics`]: accuracy, balanced accuracy, per-class P/R/F1, confusion matrix.
//! - [`cv`]: cross-validation mean +- std and pooled confusion matrix.
//! - [`sed`]: sound event detection over long recordings, event-based and segment-based
//!   (the numbers of sed_eval, the DCASE toolbox), false alarms per hour.
//! - [`report`]: JSON, CSV (per class, per clip), PNG and HTML reports (with the wrong clips
//!   to look at and listen to), written atomically; [`SedReport`] for sound events over long
//!   recordings (metrics at the operating point, an onset sweep, a picture).
//!
//! No ML backend or audio dependencies of its own; decisions come from hark-infer.
//!
//! ```
//! use hark_eval::{Aggregation, aggregate, decide, evaluate};
//! // Two clips, three windows each, two classes ("dog", "rain"): n_windows x n_classes.
//! let clips = [[0.9, 0.1, 0.6, 0.4, 0.7, 0.3], [0.5, 0.5, 0.45, 0.55, 0.5, 0.5]];
//! let y_pred: Vec<Option<usize>> = clips
//!     .iter()
//!     .map(|w| decide(&aggregate(w, 2, Aggregation::Mean), Some(0.6)).label)
//!     .collect();
//! assert_eq!(y_pred, vec![Some(0), None]); // second clip: top 0.517 < 0.6 -> unknown
//! let classes = vec!["dog".to_string(), "rain".to_string()];
//! let m = evaluate(&classes, &[0, 1], &y_pred)?;
//! assert_eq!((m.accuracy, m.coverage), (0.5, 0.5));
//! # Ok::<(), hark_eval::EvalError>(())
//! ```

pub mod cv;
mod error;
pub mod metrics;
pub mod report;
pub mod sed;
pub mod threshold;

pub use cv::{CvSummary, FoldResult, MeanStd};
pub use error::EvalError;
/// Clip decisions live in the inference core (hark-infer); re-exported here because
/// every evaluation starts from them.
pub use hark_infer::decision;
pub use hark_infer::decision::{
    Aggregation, Decision, DecisionConfig, Outcome, aggregate, aggregate_into, argmax, decide,
};
pub use metrics::{ClassMetrics, ConfusionMatrix, Metrics, UNKNOWN_LABEL, evaluate};
pub use report::{
    ClipRow, FileCounts, Report, ReportFiles, SedReport, SedReportFiles, SweepPoint, best_point,
};
pub use sed::{
    ClassScores, EventBasedMetrics, FileEvents, SedAverages, SedConfig, SedEvent, SedMetrics,
    SedScores, SegmentBasedMetrics, evaluate_events, evaluate_sed, evaluate_segments, event_labels,
};
pub use threshold::{
    ThresholdPoint, keep_threshold, pick_threshold, threshold_sweep, threshold_sweep_flat,
};
