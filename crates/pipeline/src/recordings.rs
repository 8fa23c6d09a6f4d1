//! Sound event detection on long recordings (train/eval stage): recordings with label tracks
//! -> window probabilities (predict stage, decoded in chunks) -> events at many onset
//! thresholds -> event- and segment-based metrics (hark-eval's `sed`, the numbers of
//! sed_eval).
//!
//! A recording is scored once ([`score_recording`]: constant memory in audio, keeping only
//! each window's span and probabilities); events are then detected again from those
//! probabilities for the operating point and for every onset of the sweep
//! ([`evaluate_recordings`]), which costs no more model runs.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use hark_data::Dataset;
use hark_eval::{
    FileCounts, FileEvents, SedConfig, SedEvent, SedMetrics, SweepPoint, best_point, evaluate_sed,
};
use hark_features::FeatureConfig;
use hark_infer::{DecisionConfig, EventConfig, Predictor, ScanConfig, ScanOutput, Scanner};
use serde::Serialize;

use crate::PipelineError;

/// One recording's windows as the model saw them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoredRecording {
    /// The audio file.
    pub path: PathBuf,
    /// Its length in seconds (at the model's sample rate).
    pub duration_s: f64,
    /// `(start_s, end_s)` of each analysis window, in time order.
    pub spans: Vec<(f64, f64)>,
    /// Window probabilities, row-major `spans.len() x n_classes` (zeros for silent windows).
    pub probs: Vec<f32>,
    /// Damage the decoder worked around, in words.
    pub warnings: Vec<String>,
}

/// [`score_recording_with`] without progress or a way to stop.
///
/// # Errors
/// As [`score_recording_with`].
pub fn score_recording(
    predictor: &Predictor,
    features: &FeatureConfig,
    decision: DecisionConfig,
    path: &Path,
) -> Result<ScoredRecording, PipelineError> {
    score_recording_with(predictor, features, decision, path, &mut |_| {
        ControlFlow::Continue(())
    })
}

/// Decode `path` in chunks at the model's rate and run every analysis window through the
/// model (a [`Scanner`] with `features`, the model file's own settings), keeping only the
/// windows' spans and probabilities. `on_audio` is told the seconds of each chunk decoded;
/// [`ControlFlow::Break`] stops the work.
///
/// # Errors
/// [`PipelineError::Audio`] when the file cannot be decoded, [`PipelineError::Infer`] when
/// the model fails or its settings do not fit, [`PipelineError::Stopped`] when `on_audio`
/// stopped it.
pub fn score_recording_with(
    predictor: &Predictor,
    features: &FeatureConfig,
    decision: DecisionConfig,
    path: &Path,
    on_audio: &mut dyn FnMut(f64) -> ControlFlow<()>,
) -> Result<ScoredRecording, PipelineError> {
    let n = predictor.n_classes();
    let mut scanner = Scanner::new(predictor, features, ScanConfig::new(decision))?;
    let mut out = ScanOutput::default();
    let mut rec = ScoredRecording {
        path: path.to_path_buf(),
        ..Default::default()
    };
    let keep = |out: &mut ScanOutput, rec: &mut ScoredRecording| {
        rec.spans
            .extend(out.windows.iter().map(|w| (w.start_s, w.end_s)));
        rec.probs.extend_from_slice(&out.probs);
        out.clear();
    };
    let mut failed = None;
    let sr = f64::from(features.sr);
    let summary = hark_audio::stream_mono(path, Some(features.sr), |chunk| {
        if let Err(e) = scanner.push(chunk, &mut out) {
            failed = Some(e);
            return ControlFlow::Break(());
        }
        keep(&mut out, &mut rec);
        on_audio(chunk.len() as f64 / sr)
    })
    .map_err(|source| PipelineError::Audio {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    if summary.stopped {
        return Err(PipelineError::Stopped {
            path: path.to_path_buf(),
        });
    }
    let end = scanner.finish(&mut out)?;
    keep(&mut out, &mut rec);
    debug_assert_eq!(rec.probs.len(), rec.spans.len() * n);
    rec.duration_s = end.duration_s;
    rec.warnings = summary.warnings.iter().map(ToString::to_string).collect();
    Ok(rec)
}

/// The annotated events of each recording of `ds`, by path (sorted): each labelled region
/// is one event. A clip without a start or end covers the whole file: its offset is
/// `f64::INFINITY`, which [`evaluate_recordings`] cuts at the scored length.
pub fn reference_events(ds: &Dataset) -> Vec<(PathBuf, Vec<SedEvent>)> {
    let mut by_path: BTreeMap<PathBuf, Vec<SedEvent>> = BTreeMap::new();
    for c in &ds.clips {
        let onset = c.start.unwrap_or(0.0);
        let offset = match (c.start, c.end) {
            (Some(_), Some(end)) => end,
            _ => f64::INFINITY,
        };
        by_path
            .entry(c.path.clone())
            .or_default()
            .push(SedEvent::new(c.label.clone(), onset, offset));
    }
    by_path.into_iter().collect()
}

/// Add the recordings under `dir` whose label track (`name.txt` beside the audio) is empty,
/// i.e. holds no region and no unreadable row, as recordings without events: every detection
/// in them is a false alarm. (A dataset has clips only for labelled regions, so these are not
/// in [`reference_events`].) Keeps `refs` sorted by path.
pub fn add_empty_tracks(dir: &Path, refs: &mut Vec<(PathBuf, Vec<SedEvent>)>) {
    let (inputs, _) = hark_data::list_audio(&[dir.to_path_buf()]);
    for input in inputs {
        let track = input.path.with_extension("txt");
        if track == input.path || refs.iter().any(|(p, _)| p == &input.path) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&track) else {
            continue;
        };
        let empty = text
            .lines()
            .map(|l| l.trim_start_matches('\u{feff}'))
            .all(|l| l.trim().is_empty() || l.starts_with('\\'));
        if empty {
            refs.push((input.path, Vec::new()));
        }
    }
    refs.sort_by(|a, b| a.0.cmp(&b.0));
}

/// The onsets of the default sweep: 0.05, 0.10, ..., 0.95.
pub fn default_onsets() -> Vec<f32> {
    (1..=19).map(|k| k as f32 / 20.0).collect()
}

/// Onsets closer than this are one sweep point.
const SAME_ONSET: f32 = 1e-6;

/// A sound event detection evaluation of scored recordings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingEval {
    /// Classes scored: the model's, then reference labels it does not have (sorted).
    pub classes: Vec<String>,
    /// Reference labels that are not model classes (every such event is a miss).
    pub unknown_labels: Vec<String>,
    /// Metrics at the operating point (the given event settings).
    pub metrics: SedMetrics,
    /// One point per onset (the grid and the operating onset), rising.
    pub sweep: Vec<SweepPoint>,
    /// The sweep point with the best event F1 (lowest onset among ties).
    pub best: Option<SweepPoint>,
    /// Per recording, at the operating point.
    pub files: Vec<FileCounts>,
    /// Sentences worth showing (e.g. the unknown labels).
    pub notes: Vec<String>,
}

/// Event detection at onset `onset`, the offset scaled in the ratio offset/onset of `base`.
fn scaled(base: &EventConfig, onset: f32) -> EventConfig {
    let ratio = if base.onset > 0.0 {
        base.offset / base.onset
    } else {
        1.0
    };
    EventConfig {
        onset,
        offset: (onset * ratio).clamp(0.0, onset),
        ..*base
    }
}

/// Detected and reference events of every recording with `cfg`.
fn file_events(
    recordings: &[(ScoredRecording, Vec<SedEvent>)],
    model_classes: &[String],
    cfg: &EventConfig,
) -> Result<Vec<FileEvents>, PipelineError> {
    recordings
        .iter()
        .map(|(rec, refs)| {
            let found =
                hark_infer::detect_events(&rec.probs, &rec.spans, model_classes.len(), cfg)?;
            let detected = found
                .iter()
                .map(|e| SedEvent::from_detected(e, model_classes))
                .collect::<Result<Vec<_>, _>>()?;
            let reference = refs
                .iter()
                .map(|e| SedEvent {
                    offset: if e.offset.is_infinite() {
                        rec.duration_s.max(e.onset)
                    } else {
                        e.offset
                    },
                    ..e.clone()
                })
                .collect();
            Ok(FileEvents {
                reference,
                detected,
                duration_s: rec.duration_s,
            })
        })
        .collect()
}

/// Score `recordings` (each with its reference events) for the model's classes: full
/// metrics with `events` (the operating point), and a sweep over `onsets` plus the operating
/// onset, each with the offset scaled in the ratio offset/onset of `events`.
///
/// # Errors
/// [`PipelineError::Infer`] for bad event settings or probabilities that are not `windows x
/// classes`; [`PipelineError::Eval`] for bad scoring settings, no recordings or a bad
/// reference event (e.g. onset after offset).
pub fn evaluate_recordings(
    recordings: &[(ScoredRecording, Vec<SedEvent>)],
    model_classes: &[String],
    events: &EventConfig,
    sed: &SedConfig,
    onsets: &[f32],
) -> Result<RecordingEval, PipelineError> {
    events.validate()?;
    let mut unknown: Vec<String> = recordings
        .iter()
        .flat_map(|(_, refs)| refs)
        .map(|e| e.label.clone())
        .filter(|l| !model_classes.contains(l))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    let mut classes = model_classes.to_vec();
    classes.extend(unknown.iter().cloned());

    let operating = file_events(recordings, model_classes, events)?;
    let metrics = evaluate_sed(&classes, &operating, sed)?;
    let files = recordings
        .iter()
        .zip(&operating)
        .map(|((rec, _), f)| FileCounts {
            path: rec.path.clone(),
            duration_s: rec.duration_s,
            reference: f.reference.len(),
            detected: f.detected.len(),
        })
        .collect();

    let mut grid: Vec<f32> = onsets.iter().copied().chain([events.onset]).collect();
    grid.sort_by(f32::total_cmp);
    grid.dedup_by(|a, b| (*a - *b).abs() < SAME_ONSET);
    let mut sweep = Vec::with_capacity(grid.len());
    for onset in grid {
        let cfg = if (onset - events.onset).abs() < SAME_ONSET {
            *events
        } else {
            scaled(events, onset)
        };
        let fe = file_events(recordings, model_classes, &cfg)?;
        let m = evaluate_sed(&classes, &fe, sed)?;
        sweep.push(SweepPoint {
            onset: cfg.onset,
            offset: cfg.offset,
            event_f1: m.event_based.overall.f1,
            segment_f1: m.segment_based.overall.f1,
            event_error_rate: m.event_based.overall.error_rate,
            false_alarms_per_hour: m.event_based.false_alarms_per_hour,
            miss_rate: m.event_based.miss_rate,
            detected: m.event_based.overall.n_sys,
        });
    }
    let mut notes = Vec::new();
    if !unknown.is_empty() {
        let n: usize = recordings
            .iter()
            .flat_map(|(_, refs)| refs)
            .filter(|e| unknown.contains(&e.label))
            .count();
        notes.push(format!(
            "{n} annotated events have labels the model does not know ({}); they are scored as misses",
            unknown.join(", ")
        ));
    }
    Ok(RecordingEval {
        classes,
        unknown_labels: unknown,
        metrics,
        best: best_point(&sweep),
        sweep,
        files,
        notes,
    })
}

#[cfg(test)]
#[path = "recordings_tests.rs"]
mod tests;
