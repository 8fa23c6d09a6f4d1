//! Sound event detection reports: metrics over long recordings -> files a person
//! (report.html, sed_sweep.png) or a program (report.json, sweep.csv) reads. Flow: model ->
//! events -> **train/eval: reports** (`hark eval` on recordings with label tracks).
//!
//! Every file is written atomically ([`write_atomic`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{csv_err, finish_csv, write_atomic, write_json};
use crate::error::EvalError;
use crate::sed::{SedConfig, SedMetrics};
use hark_infer::EventConfig;

/// One onset threshold of a sweep: the scores of the events detected with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Smoothed probability at which an event starts.
    pub onset: f32,
    /// Smoothed probability below which it ends (scaled with `onset`).
    pub offset: f32,
    /// Event-based F1 (overall); `None` when undefined.
    pub event_f1: Option<f64>,
    /// Segment-based F1 (overall).
    pub segment_f1: Option<f64>,
    /// Event-based error rate (overall).
    pub event_error_rate: Option<f64>,
    /// Detections matching no reference event, per hour of audio.
    pub false_alarms_per_hour: Option<f64>,
    /// Share of reference events no detection matches.
    pub miss_rate: Option<f64>,
    /// Events detected (all recordings).
    pub detected: usize,
}

/// Event counts of one recording at the operating point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileCounts {
    /// The audio file.
    pub path: PathBuf,
    /// Its length, seconds.
    pub duration_s: f64,
    /// Annotated events.
    pub reference: usize,
    /// Detected events.
    pub detected: usize,
}

/// Everything a sound event detection report shows. Serialised as-is to `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SedReport {
    /// Heading, e.g. `"hark eval (sound events)"`.
    pub title: String,
    /// Dataset name or path.
    pub dataset: String,
    /// Model name or path.
    pub model: String,
    /// Event detection settings of the operating point.
    pub events: EventConfig,
    /// Scoring settings (collars, segment length); also in `metrics.config`.
    pub scoring: SedConfig,
    /// Full metrics at the operating point.
    pub metrics: SedMetrics,
    /// One point per onset threshold, rising.
    pub sweep: Vec<SweepPoint>,
    /// The sweep point with the highest event F1 (the lowest onset among ties).
    pub best: Option<SweepPoint>,
    /// Per recording, at the operating point.
    pub files: Vec<FileCounts>,
    /// Free-form lines shown at the end.
    pub notes: Vec<String>,
}

/// Paths of the files [`SedReport::write_dir`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SedReportFiles {
    /// `report.json`: the whole [`SedReport`].
    pub json: PathBuf,
    /// `sweep.csv`: one row per onset ([`SWEEP_CSV_HEADER`]).
    pub sweep_csv: PathBuf,
    /// `sed_sweep.png`: the sweep picture.
    pub sweep_png: PathBuf,
    /// `report.html`: one page with everything.
    pub html: PathBuf,
}

/// Columns of `sweep.csv` (empty cells are undefined values).
pub const SWEEP_CSV_HEADER: [&str; 8] = [
    "onset",
    "offset",
    "event_f1",
    "segment_f1",
    "event_error_rate",
    "false_alarms_per_hour",
    "miss_rate",
    "detected",
];

/// The sweep point with the highest event F1; the lowest onset wins ties. `None` when no
/// point has a defined F1.
pub fn best_point(sweep: &[SweepPoint]) -> Option<SweepPoint> {
    let mut best: Option<SweepPoint> = None;
    for p in sweep {
        let Some(f1) = p.event_f1 else { continue };
        let better = match &best {
            None => true,
            Some(b) => {
                f1 > b.event_f1.unwrap_or(f64::NEG_INFINITY)
                    || (f1 == b.event_f1.unwrap_or(f64::NEG_INFINITY) && p.onset < b.onset)
            }
        };
        if better {
            best = Some(*p);
        }
    }
    best
}

/// `sweep.csv` bytes.
///
/// # Errors
/// [`EvalError::Encode`] naming `path` if the CSV writer fails.
pub fn sweep_to_csv(sweep: &[SweepPoint], path: &Path) -> Result<Vec<u8>, EvalError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(SWEEP_CSV_HEADER).map_err(csv_err(path))?;
    let opt = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
    for p in sweep {
        w.write_record([
            format!("{:.4}", p.onset),
            format!("{:.4}", p.offset),
            opt(p.event_f1),
            opt(p.segment_f1),
            opt(p.event_error_rate),
            opt(p.false_alarms_per_hour),
            opt(p.miss_rate),
            p.detected.to_string(),
        ])
        .map_err(csv_err(path))?;
    }
    finish_csv(w, path)
}

/// The sweep picture ([`hark_plot::sed_sweep_png`]) with the operating onset marked.
///
/// # Errors
/// [`EvalError::Draw`] if drawing fails.
pub fn render_sed_sweep_png(sweep: &[SweepPoint], operating: f32) -> Result<Vec<u8>, EvalError> {
    let pts: Vec<hark_plot::SedSweepPoint> = sweep
        .iter()
        .map(|p| hark_plot::SedSweepPoint {
            onset: p.onset,
            event_f1: p.event_f1,
            segment_f1: p.segment_f1,
            miss_rate: p.miss_rate,
            false_alarms_per_hour: p.false_alarms_per_hour,
        })
        .collect();
    hark_plot::sed_sweep_png(&pts, Some(operating)).map_err(|e| EvalError::Draw {
        what: "event detection sweep",
        message: e.to_string(),
    })
}

impl SedReport {
    /// Write `report.json`, `sweep.csv`, `sed_sweep.png` and `report.html` into `dir`
    /// (created if missing), each atomically; existing files of the same names are replaced.
    ///
    /// # Errors
    /// [`EvalError::Io`] naming the file that could not be written (nothing partial is left
    /// behind), [`EvalError::Draw`]/[`EvalError::Encode`] if a picture or encoding fails.
    pub fn write_dir(&self, dir: &Path) -> Result<SedReportFiles, EvalError> {
        std::fs::create_dir_all(dir).map_err(|source| EvalError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let png = render_sed_sweep_png(&self.sweep, self.events.onset)?;
        let html = super::sed_html::render_sed_html(self, &png);
        let json_path = dir.join("report.json");
        write_json(&json_path, self)?;
        let sweep_csv = dir.join("sweep.csv");
        write_atomic(&sweep_csv, &sweep_to_csv(&self.sweep, &sweep_csv)?)?;
        let sweep_png = dir.join("sed_sweep.png");
        write_atomic(&sweep_png, &png)?;
        let html_path = dir.join("report.html");
        write_atomic(&html_path, html.as_bytes())?;
        Ok(SedReportFiles {
            json: json_path,
            sweep_csv,
            sweep_png,
            html: html_path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(onset: f32, f1: Option<f64>) -> SweepPoint {
        SweepPoint {
            onset,
            offset: onset,
            event_f1: f1,
            segment_f1: None,
            event_error_rate: None,
            false_alarms_per_hour: Some(1.5),
            miss_rate: None,
            detected: 3,
        }
    }

    #[test]
    fn best_point_is_the_highest_f1_and_the_lowest_onset_among_ties() {
        let sweep = [
            p(0.1, Some(0.5)),
            p(0.2, Some(0.8)),
            p(0.3, Some(0.8)),
            p(0.4, None),
        ];
        assert_eq!(best_point(&sweep).map(|b| b.onset), Some(0.2));
        assert_eq!(best_point(&[p(0.4, None)]), None);
    }

    #[test]
    fn sweep_csv_has_the_header_and_empty_cells_for_undefined() {
        let bytes = sweep_to_csv(&[p(0.5, None)], Path::new("sweep.csv")).expect("csv");
        let text = String::from_utf8(bytes).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(SWEEP_CSV_HEADER.join(",").as_str()));
        assert_eq!(lines.next(), Some("0.5000,0.5000,,,,1.500000,,3"));
    }
}
