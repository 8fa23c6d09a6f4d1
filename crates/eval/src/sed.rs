//! Evaluation stage: reference events vs detected events over long recordings.
//!
//! Flow: audio -> features -> model -> events (hark-infer) -> **train/eval: sound event
//! detection metrics** -> reports.
//!
//! The numbers are those of [sed_eval] 0.2.1, the DCASE toolbox, and are checked against it
//! (`tests/sed_eval.rs`):
//! - **event-based** ([`evaluate_events`], sed_eval's `EventBasedMetrics` with
//!   `evaluate_onset = evaluate_offset = True` and optimal matching): a detected event is a
//!   true positive when it has the reference event's label, its onset is within `t_collar`
//!   of the reference onset and its offset within `max(t_collar, percentage_of_length x
//!   reference length)` of the reference offset; reference and detected events are paired by
//!   a maximum bipartite matching (each event used once). Overall, an unmatched reference
//!   and an unmatched detection that would match but for the label count once as a
//!   substitution (sed_eval pairs them greedily in list order); the rest are deletions (FN)
//!   and insertions (FP). Class-wise there are no substitutions: FN = Nref - TP, FP = Nsys - TP.
//! - **segment-based** ([`evaluate_segments`], sed_eval's `SegmentBasedMetrics`): each file
//!   is cut into `ceil(duration / time_resolution)` segments; a class is active in a segment
//!   when an event covers any part of it (`floor(onset / r) .. ceil(offset / r)`), and events
//!   past the file's end are cut there. Per segment, S = min(Nref, Nsys) - TP,
//!   D = max(0, Nref - Nsys), I = max(0, Nsys - Nref), summed over segments.
//! - error rate = S/Nref + D/Nref + I/Nref; F1 = 2PR / (P + R) (0 when P = R = 0).
//! - class-wise averages (macro) are plain means over the classes where the value is defined.
//!
//! Counts accumulate over files exactly as calling sed_eval's `evaluate(reference,
//! estimated)` once per file does; events are never matched across files.
//!
//! Where sed_eval divides by zero we say "undefined" (`None`, `null` in JSON) instead:
//! precision with no detections and recall with no references are NaN in sed_eval too, but
//! its rates divide by `Nref + 2.2e-16`, so a class with no reference events and k false
//! alarms gets an error rate of about `k x 4.5e15` there, and pulls its class-wise average
//! ER with it. Here that class's rates are `None` and left out of the averages; with at
//! least one reference event of every class the two agree.
//!
//! Labels are compared exactly; avoid `""` and `"none"`, which sed_eval's containers turn
//! into "no label".
//!
//! [sed_eval]: https://tut-arg.github.io/sed_eval/

mod bipartite;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::EvalError;
use bipartite::bipartite_match;

/// One sound event: a label active from `onset` to `offset` (seconds from the file's start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SedEvent {
    /// Class name; must be one of the classes passed to the evaluation.
    pub label: String,
    /// Start, seconds (>= 0).
    pub onset: f64,
    /// End, seconds (>= `onset`).
    pub offset: f64,
}

impl SedEvent {
    /// An event of `label` from `onset` to `offset` seconds.
    pub fn new(label: impl Into<String>, onset: f64, offset: f64) -> SedEvent {
        SedEvent {
            label: label.into(),
            onset,
            offset,
        }
    }

    /// A detected event from hark-infer's event detection, named from the model's classes.
    ///
    /// # Errors
    /// [`EvalError::ClassOutOfRange`] when the event's class index is not in `classes`.
    pub fn from_detected(
        event: &hark_infer::Event,
        classes: &[String],
    ) -> Result<SedEvent, EvalError> {
        let label = classes.get(event.class).ok_or(EvalError::ClassOutOfRange {
            what: "detected event",
            index: event.class,
            position: event.first_window,
            n_classes: classes.len(),
        })?;
        Ok(SedEvent::new(label.clone(), event.start_s, event.end_s))
    }
}

/// The reference (annotated) and detected events of one recording, and its length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEvents {
    /// Annotated events, in any order (may overlap, also within a class).
    pub reference: Vec<SedEvent>,
    /// System output, in any order.
    pub detected: Vec<SedEvent>,
    /// Length of the recording, seconds: the segments evaluated, and the time over which
    /// false alarms are counted.
    pub duration_s: f64,
}

/// Scoring settings. `Default` is the DCASE setting asked of hark: a 200 ms collar, offsets
/// also allowed 20% of the reference event's length, and 1 s segments.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SedConfig {
    /// Onset collar (and smallest offset collar), seconds; > 0. Default 0.2.
    pub t_collar: f64,
    /// Offset collar as a fraction of the reference event's length, in [0, 1]. Default 0.2
    /// (sed_eval's own default is 0.5).
    pub percentage_of_length: f64,
    /// Segment length of the segment-based metrics, seconds; > 0. Default 1.0.
    pub time_resolution: f64,
}

impl Default for SedConfig {
    fn default() -> SedConfig {
        SedConfig {
            t_collar: 0.2,
            percentage_of_length: 0.2,
            time_resolution: 1.0,
        }
    }
}

impl SedConfig {
    /// Check the settings are in range (sed_eval's own checks).
    ///
    /// # Errors
    /// [`EvalError::BadSetting`] naming the setting.
    pub fn validate(&self) -> Result<(), EvalError> {
        let bad = |field: &'static str, value: f64, expected: &'static str| {
            Err(EvalError::BadSetting {
                field,
                value: value.to_string(),
                expected,
            })
        };
        if !(self.t_collar.is_finite() && self.t_collar > 0.0) {
            return bad("t_collar", self.t_collar, "seconds > 0, e.g. 0.2");
        }
        if !(0.0..=1.0).contains(&self.percentage_of_length) {
            return bad(
                "percentage_of_length",
                self.percentage_of_length,
                "a fraction in [0, 1], e.g. 0.2",
            );
        }
        if !(self.time_resolution.is_finite() && self.time_resolution > 0.0) {
            return bad(
                "time_resolution",
                self.time_resolution,
                "seconds > 0, e.g. 1.0",
            );
        }
        Ok(())
    }
}

/// Counts and scores of one row (overall, or one class).
///
/// Undefined values (a division by zero) are `None`: precision when `n_sys = 0`; recall and
/// the rates when `n_ref = 0`; F1 when precision or recall is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SedScores {
    /// Reference events (event-based) or active reference (segment, class) pairs.
    pub n_ref: usize,
    /// Detected events, or active detected (segment, class) pairs.
    pub n_sys: usize,
    /// True positives.
    pub tp: usize,
    /// False positives (sed_eval's `Nfp`; overall event-based, substitutions excluded).
    pub fp: usize,
    /// False negatives (sed_eval's `Nfn`; overall event-based, substitutions excluded).
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Substitutions (0 in class-wise rows).
    pub substitutions: usize,
    /// Deletions.
    pub deletions: usize,
    /// Insertions.
    pub insertions: usize,
    /// TP / Nsys.
    pub precision: Option<f64>,
    /// TP / Nref.
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// (S + D + I) / Nref.
    pub error_rate: Option<f64>,
    /// S / Nref.
    pub substitution_rate: Option<f64>,
    /// D / Nref.
    pub deletion_rate: Option<f64>,
    /// I / Nref.
    pub insertion_rate: Option<f64>,
}

/// The scores of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScores {
    /// Class name.
    pub label: String,
    /// Its counts and scores.
    #[serde(flatten)]
    pub scores: SedScores,
}

/// Class-wise averages (macro): means over the classes where each value is defined
/// (sed_eval's `nanmean`); `None` when it is defined for no class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SedAverages {
    /// Mean of class precisions.
    pub precision: Option<f64>,
    /// Mean of class recalls.
    pub recall: Option<f64>,
    /// Mean of class F1s (not the F1 of the mean precision and recall).
    pub f1: Option<f64>,
    /// Mean of class error rates.
    pub error_rate: Option<f64>,
    /// Mean of class deletion rates.
    pub deletion_rate: Option<f64>,
    /// Mean of class insertion rates.
    pub insertion_rate: Option<f64>,
}

/// Event-based metrics over all files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventBasedMetrics {
    /// Micro-averaged over all events.
    pub overall: SedScores,
    /// One row per class, in the order of the class list.
    pub class_wise: Vec<ClassScores>,
    /// Macro averages of `class_wise`.
    pub class_wise_average: SedAverages,
    /// Detections that match no reference event of their class: `n_sys - tp`, i.e. false
    /// positives plus substitutions (sed_eval's overall FP leaves substitutions out).
    pub false_alarms: usize,
    /// `false_alarms` per hour of evaluated audio; `None` when the files last 0 s.
    pub false_alarms_per_hour: Option<f64>,
    /// Reference events that no detection of their class matches: `n_ref - tp`, i.e. false
    /// negatives plus substitutions.
    pub misses: usize,
    /// `misses / n_ref` (= 1 - recall); `None` without reference events.
    pub miss_rate: Option<f64>,
}

/// Segment-based metrics over all files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentBasedMetrics {
    /// Segments evaluated (all files).
    pub n_segments: usize,
    /// Micro-averaged over all (segment, class) pairs; S, D, I counted per segment.
    pub overall: SedScores,
    /// One row per class, in the order of the class list.
    pub class_wise: Vec<ClassScores>,
    /// Macro averages of `class_wise`.
    pub class_wise_average: SedAverages,
}

/// Both views of one evaluation, ready for a JSON report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SedMetrics {
    /// The settings used.
    pub config: SedConfig,
    /// The class list, in report order.
    pub classes: Vec<String>,
    /// Files evaluated.
    pub n_files: usize,
    /// Their total length, seconds.
    pub duration_s: f64,
    /// Event-based metrics.
    pub event_based: EventBasedMetrics,
    /// Segment-based metrics.
    pub segment_based: SegmentBasedMetrics,
}

/// The labels used in `files` (reference and detected), sorted and without repeats: the
/// class list to pass when there is no fixed one (sed_eval's `unique_event_labels`).
pub fn event_labels(files: &[FileEvents]) -> Vec<String> {
    let mut labels: Vec<String> = files
        .iter()
        .flat_map(|f| f.reference.iter().chain(&f.detected))
        .map(|e| e.label.clone())
        .collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// Event-based and segment-based metrics of `files` for `classes`.
///
/// # Errors
/// As [`evaluate_events`] and [`evaluate_segments`].
pub fn evaluate_sed(
    classes: &[String],
    files: &[FileEvents],
    config: &SedConfig,
) -> Result<SedMetrics, EvalError> {
    Ok(SedMetrics {
        config: *config,
        classes: classes.to_vec(),
        n_files: files.len(),
        duration_s: files.iter().map(|f| f.duration_s).sum(),
        event_based: evaluate_events(classes, files, config)?,
        segment_based: evaluate_segments(classes, files, config)?,
    })
}

/// Event-based metrics (sed_eval's `EventBasedMetrics`, onset and offset, optimal matching).
///
/// # Errors
/// [`EvalError::BadSetting`] for a setting out of range or a repeated class,
/// [`EvalError::Empty`] without files, [`EvalError::BadEvents`] for an event whose label
/// is not in `classes` or whose times are not `0 <= onset <= offset`, or a duration that
/// is not a number of seconds >= 0.
pub fn evaluate_events(
    classes: &[String],
    files: &[FileEvents],
    config: &SedConfig,
) -> Result<EventBasedMetrics, EvalError> {
    let ids = check(classes, files, config)?;
    let mut overall = Counts::default();
    let mut per_class = vec![Counts::default(); classes.len()];
    for (file, (ref_ids, det_ids)) in files.iter().zip(&ids) {
        event_counts(file, ref_ids, det_ids, config, &mut overall, &mut per_class);
    }
    let overall = overall.scores();
    let class_wise = class_rows(classes, &per_class);
    let hours = files.iter().map(|f| f.duration_s).sum::<f64>() / 3600.0;
    let false_alarms = overall.n_sys - overall.tp;
    let misses = overall.n_ref - overall.tp;
    Ok(EventBasedMetrics {
        class_wise_average: averages(&class_wise),
        class_wise,
        false_alarms,
        false_alarms_per_hour: (hours > 0.0).then(|| false_alarms as f64 / hours),
        misses,
        miss_rate: ratio(misses, overall.n_ref),
        overall,
    })
}

/// Segment-based metrics (sed_eval's `SegmentBasedMetrics` with each file's duration as
/// its evaluated length).
///
/// # Errors
/// As [`evaluate_events`].
pub fn evaluate_segments(
    classes: &[String],
    files: &[FileEvents],
    config: &SedConfig,
) -> Result<SegmentBasedMetrics, EvalError> {
    let ids = check(classes, files, config)?;
    let n_classes = classes.len();
    let mut overall = Counts::default();
    let mut per_class = vec![Counts::default(); n_classes];
    let mut n_segments = 0;
    for (file, (ref_ids, det_ids)) in files.iter().zip(&ids) {
        let r = config.time_resolution;
        let n_seg = (file.duration_s / r).ceil() as usize;
        n_segments += n_seg;
        let reference = activity(&file.reference, ref_ids, n_seg, n_classes, r);
        let detected = activity(&file.detected, det_ids, n_seg, n_classes, r);
        let rows = reference
            .chunks(n_classes.max(1))
            .zip(detected.chunks(n_classes.max(1)));
        for (ref_row, det_row) in rows {
            let mut seg = Counts::default();
            for (c, (&a, &s)) in ref_row.iter().zip(det_row).enumerate() {
                let class = &mut per_class[c];
                for counts in [&mut seg, class] {
                    counts.n_ref += usize::from(a);
                    counts.n_sys += usize::from(s);
                    counts.tp += usize::from(a && s);
                    counts.fp += usize::from(s && !a);
                    counts.fn_ += usize::from(a && !s);
                }
            }
            overall.n_ref += seg.n_ref;
            overall.n_sys += seg.n_sys;
            overall.tp += seg.tp;
            overall.fp += seg.fp;
            overall.fn_ += seg.fn_;
            overall.s += seg.n_ref.min(seg.n_sys) - seg.tp;
            overall.d += seg.n_ref.saturating_sub(seg.n_sys);
            overall.i += seg.n_sys.saturating_sub(seg.n_ref);
        }
    }
    let class_wise = class_rows(classes, &per_class);
    Ok(SegmentBasedMetrics {
        n_segments,
        overall: overall.scores(),
        class_wise_average: averages(&class_wise),
        class_wise,
    })
}

/// Raw counts of one row. Class rows keep `s = d = i = 0`: their D and I are FN and FP.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    n_ref: usize,
    n_sys: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
    s: usize,
    d: usize,
    i: usize,
}

impl Counts {
    fn scores(&self) -> SedScores {
        let precision = ratio(self.tp, self.n_sys);
        let recall = ratio(self.tp, self.n_ref);
        let f1 = match (precision, recall) {
            (Some(p), Some(r)) if p == 0.0 && r == 0.0 => Some(0.0),
            (Some(p), Some(r)) => Some(2.0 * p * r / (p + r)),
            _ => None,
        };
        let (s, d, i) = (
            ratio(self.s, self.n_ref),
            ratio(self.d, self.n_ref),
            ratio(self.i, self.n_ref),
        );
        SedScores {
            n_ref: self.n_ref,
            n_sys: self.n_sys,
            tp: self.tp,
            fp: self.fp,
            fn_: self.fn_,
            substitutions: self.s,
            deletions: self.d,
            insertions: self.i,
            precision,
            recall,
            f1,
            // sed_eval adds the three rates.
            error_rate: s.zip(d).zip(i).map(|((s, d), i)| s + d + i),
            substitution_rate: s,
            deletion_rate: d,
            insertion_rate: i,
        }
    }
}

/// `num / den`, undefined when `den = 0`.
fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Class rows: no substitutions; deletions = FN, insertions = FP.
fn class_rows(classes: &[String], counts: &[Counts]) -> Vec<ClassScores> {
    classes
        .iter()
        .zip(counts)
        .map(|(label, c)| ClassScores {
            label: label.clone(),
            scores: Counts {
                s: 0,
                d: c.fn_,
                i: c.fp,
                ..*c
            }
            .scores(),
        })
        .collect()
}

fn averages(rows: &[ClassScores]) -> SedAverages {
    let mean = |get: fn(&SedScores) -> Option<f64>| {
        let defined: Vec<f64> = rows.iter().filter_map(|r| get(&r.scores)).collect();
        (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64)
    };
    SedAverages {
        precision: mean(|s| s.precision),
        recall: mean(|s| s.recall),
        f1: mean(|s| s.f1),
        error_rate: mean(|s| s.error_rate),
        deletion_rate: mean(|s| s.deletion_rate),
        insertion_rate: mean(|s| s.insertion_rate),
    }
}

/// sed_eval's onset and offset conditions (label not checked).
fn within_collars(r: &SedEvent, e: &SedEvent, config: &SedConfig) -> bool {
    let offset_collar = config
        .t_collar
        .max(config.percentage_of_length * (r.offset - r.onset));
    (r.onset - e.onset).abs() <= config.t_collar && (r.offset - e.offset).abs() <= offset_collar
}

/// One file's event-based counts, added to `overall` and `per_class` (sed_eval's
/// `EventBasedMetrics.evaluate` with `event_matching_type = 'optimal'`).
fn event_counts(
    file: &FileEvents,
    ref_ids: &[usize],
    det_ids: &[usize],
    config: &SedConfig,
    overall: &mut Counts,
    per_class: &mut [Counts],
) {
    let (refs, dets) = (&file.reference, &file.detected);
    // The graph detected -> references it may match, keyed in order of first hit when
    // scanning the hit matrix row by row (reference-major), as sed_eval builds it.
    let mut graph: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut slot: Vec<Option<usize>> = vec![None; dets.len()];
    for (j, r) in refs.iter().enumerate() {
        for (i, e) in dets.iter().enumerate() {
            if ref_ids[j] == det_ids[i] && within_collars(r, e, config) {
                let k = *slot[i].get_or_insert_with(|| {
                    graph.push((i, Vec::new()));
                    graph.len() - 1
                });
                graph[k].1.push(j);
            }
        }
    }
    let matching = bipartite_match(&graph, dets.len(), refs.len());
    let mut det_matched = vec![false; dets.len()];
    let mut tp = 0;
    for (j, i) in matching.iter().enumerate() {
        if let Some(i) = *i {
            det_matched[i] = true;
            per_class[ref_ids[j]].tp += 1;
            tp += 1;
        }
    }
    // Substitutions: each unmatched reference takes the first unmatched, not yet counted
    // detection within its collars (the label necessarily differs: the matching is maximum).
    let mut s = 0;
    let unmatched = refs.iter().zip(&matching).filter(|(_, m)| m.is_none());
    for (r, _) in unmatched {
        for (i, e) in dets.iter().enumerate() {
            if !det_matched[i] && within_collars(r, e, config) {
                det_matched[i] = true;
                s += 1;
                break;
            }
        }
    }
    overall.n_ref += refs.len();
    overall.n_sys += dets.len();
    overall.tp += tp;
    overall.s += s;
    overall.fp += dets.len() - tp - s;
    overall.fn_ += refs.len() - tp - s;
    overall.d = overall.fn_;
    overall.i = overall.fp;
    for &c in ref_ids {
        per_class[c].n_ref += 1;
    }
    for &c in det_ids {
        per_class[c].n_sys += 1;
    }
    for c in per_class.iter_mut() {
        c.fp = c.n_sys - c.tp;
        c.fn_ = c.n_ref - c.tp;
    }
}

/// Class activity of one file: `n_seg x n_classes`, row-major; `true` where an event of
/// the class covers part of the segment.
fn activity(
    events: &[SedEvent],
    ids: &[usize],
    n_seg: usize,
    n_classes: usize,
    r: f64,
) -> Vec<bool> {
    let mut roll = vec![false; n_seg * n_classes];
    for (e, &c) in events.iter().zip(ids) {
        let first = (e.onset / r).floor() as usize;
        let end = ((e.offset / r).ceil() as usize).min(n_seg);
        for seg in first..end {
            roll[seg * n_classes + c] = true;
        }
    }
    roll
}

/// Validate the inputs; return each file's (reference, detected) class indices.
type ClassIds = (Vec<usize>, Vec<usize>);

fn check(
    classes: &[String],
    files: &[FileEvents],
    config: &SedConfig,
) -> Result<Vec<ClassIds>, EvalError> {
    config.validate()?;
    if files.is_empty() {
        return Err(EvalError::Empty { what: "files" });
    }
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(classes.len());
    for (c, label) in classes.iter().enumerate() {
        if index.insert(label.as_str(), c).is_some() {
            return Err(EvalError::BadSetting {
                field: "classes",
                value: format!("{label:?} twice"),
                expected: "each class name once",
            });
        }
    }
    let mut ids = Vec::with_capacity(files.len());
    for (f, file) in files.iter().enumerate() {
        if !(file.duration_s.is_finite() && file.duration_s >= 0.0) {
            return Err(EvalError::BadEvents {
                what: format!("file {f}"),
                reason: format!(
                    "duration {} s is not a length; pass the recording's length in seconds",
                    file.duration_s
                ),
            });
        }
        let lookup = |list: &'static str, events: &[SedEvent]| {
            events
                .iter()
                .enumerate()
                .map(|(k, e)| {
                    let what = || format!("file {f}, {list} event {k} ({:?} {}-{} s)", e.label, e.onset, e.offset);
                    if !(e.onset.is_finite() && e.offset.is_finite() && 0.0 <= e.onset && e.onset <= e.offset) {
                        return Err(EvalError::BadEvents {
                            what: what(),
                            reason: "times must be finite with 0 <= onset <= offset".into(),
                        });
                    }
                    index.get(e.label.as_str()).copied().ok_or_else(|| EvalError::BadEvents {
                        what: what(),
                        reason: format!("label is not one of the classes {classes:?}; pass the full class list (see event_labels)"),
                    })
                })
                .collect::<Result<Vec<usize>, EvalError>>()
        };
        ids.push((
            lookup("reference", &file.reference)?,
            lookup("detected", &file.detected)?,
        ));
    }
    Ok(ids)
}
