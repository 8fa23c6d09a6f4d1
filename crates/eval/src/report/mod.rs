//! Evaluation reports: metrics -> files a person (report.html, PNGs) or a program
//! (report.json, CSVs) reads. Flow: model -> **train/eval: reports** (`hark eval`, `hark cv`).
//!
//! Every file is written atomically: to a temporary file in the same folder, then
//! renamed into place, so an interrupted run never leaves a half-written report.

mod html;
mod mistakes;
mod plot;
mod predictions;
mod sed;
mod sed_html;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use html::render_html;
pub use html::{MAX_THRESHOLD_ROWS, TOP_CONFUSIONS, escape};
pub use mistakes::{MAX_MISTAKE_PICTURES, MISTAKES_DIR, mistake_picture_name, relative_url};
pub use plot::{
    COVERAGE_SIZE, MAX_LABEL_CHARS, abbreviate, render_confusion_png, render_coverage_png,
};
pub use predictions::{
    ClipRow, PREDICTIONS_CSV_HEADER, TOP_K, mistakes_by_confidence, predictions_to_csv,
};
pub use sed::{
    FileCounts, SWEEP_CSV_HEADER, SedReport, SedReportFiles, SweepPoint, best_point,
    render_sed_sweep_png, sweep_to_csv,
};
pub use sed_html::render_sed_html;

use crate::cv::CvSummary;
use crate::decision::DecisionConfig;
use crate::error::EvalError;
use crate::metrics::{ConfusionMatrix, Metrics};
use crate::threshold::ThresholdPoint;

/// Everything an evaluation report shows. Serialised as-is to `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Heading, e.g. `"hark eval"` or `"hark cv (official folds)"`.
    pub title: String,
    /// Dataset name or path.
    pub dataset: String,
    /// Model name or path.
    pub model: String,
    /// Metrics on the evaluated clips; for cross-validation, the pooled metrics
    /// (`folds.pooled`).
    pub metrics: Metrics,
    /// Precision/coverage sweep (see [`crate::threshold_sweep`]); drawn when present.
    pub threshold_sweep: Option<Vec<ThresholdPoint>>,
    /// Cross-validation summary, for `hark cv`.
    pub folds: Option<CvSummary>,
    /// Decision settings used to produce `metrics` (aggregation, threshold).
    pub decision: Option<DecisionConfig>,
    /// Free-form lines shown at the end (seed, command line, wall time...).
    pub notes: Vec<String>,
    /// One row per scored clip: written to `predictions.csv` (not to report.json) and the
    /// source of the HTML "mistakes" section. Empty: neither is written.
    #[serde(skip)]
    pub predictions: Vec<ClipRow>,
    /// Spectrogram PNGs of wrong clips, by index into `predictions`; only those of the
    /// [`MAX_MISTAKE_PICTURES`] most confident mistakes are written and shown (see
    /// [`mistakes_by_confidence`]). Not in report.json.
    #[serde(skip)]
    pub mistake_pictures: BTreeMap<usize, Vec<u8>>,
}

/// Paths of the files [`Report::write_dir`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportFiles {
    /// `report.json`: the whole [`Report`].
    pub json: PathBuf,
    /// `confusion.csv`: header row and column of class names.
    pub confusion_csv: PathBuf,
    /// `per_class.csv`: class, precision, recall, f1, support, predicted; then `macro avg`
    /// and `weighted avg` rows.
    pub per_class_csv: PathBuf,
    /// `predictions.csv`: one row per clip ([`PREDICTIONS_CSV_HEADER`]); only written when
    /// the report has predictions.
    pub predictions_csv: Option<PathBuf>,
    /// `mistakes/NNN.png`: spectrograms of the most confident mistakes, most confident first.
    pub mistake_pictures: Vec<PathBuf>,
    /// `confusion.png`: heat map.
    pub confusion_png: PathBuf,
    /// `coverage.png`: precision against coverage; only written with a threshold sweep.
    pub coverage_png: Option<PathBuf>,
    /// `folds.csv`: one row per fold; only written for cross-validation.
    pub folds_csv: Option<PathBuf>,
    /// `report.html`: single file, pictures embedded.
    pub html: PathBuf,
}

impl Report {
    /// A report with no sweep, folds, decision settings or notes.
    pub fn new(
        title: impl Into<String>,
        dataset: impl Into<String>,
        model: impl Into<String>,
        metrics: Metrics,
    ) -> Self {
        Report {
            title: title.into(),
            dataset: dataset.into(),
            model: model.into(),
            metrics,
            threshold_sweep: None,
            folds: None,
            decision: None,
            notes: Vec::new(),
            predictions: Vec::new(),
            mistake_pictures: BTreeMap::new(),
        }
    }

    /// A cross-validation report: `metrics` are the pooled metrics of `cv`.
    pub fn cross_validation(
        title: impl Into<String>,
        dataset: impl Into<String>,
        model: impl Into<String>,
        cv: CvSummary,
    ) -> Self {
        let mut r = Report::new(title, dataset, model, cv.pooled.clone());
        r.folds = Some(cv);
        r
    }

    /// Write all report files into `dir` (created if missing), each atomically.
    /// Existing files of the same names are replaced; mistake pictures of an earlier run
    /// that this one does not have are removed.
    ///
    /// # Errors
    /// [`EvalError::Io`] naming the file that could not be written (nothing partial is
    /// left behind), [`EvalError::Draw`]/[`EvalError::Encode`] if a picture fails.
    pub fn write_dir(&self, dir: &Path) -> Result<ReportFiles, EvalError> {
        std::fs::create_dir_all(dir).map_err(|source| EvalError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let confusion_png = render_confusion_png(&self.metrics.confusion, &self.confusion_title())?;
        let threshold = self.decision.and_then(|d| d.threshold);
        let coverage_png = match &self.threshold_sweep {
            Some(sweep) if !sweep.is_empty() => Some(render_coverage_png(sweep, threshold)?),
            _ => None,
        };
        let html = render_html(self, &confusion_png, coverage_png.as_deref(), Some(dir));

        let json_path = dir.join("report.json");
        write_json(&json_path, self)?;
        let confusion_csv = dir.join("confusion.csv");
        write_atomic(
            &confusion_csv,
            &confusion_to_csv(&self.metrics.confusion, &confusion_csv)?,
        )?;
        let per_class_csv = dir.join("per_class.csv");
        write_atomic(
            &per_class_csv,
            &per_class_to_csv(&self.metrics, &per_class_csv)?,
        )?;
        let folds_csv = match &self.folds {
            Some(cv) => {
                let path = dir.join("folds.csv");
                write_atomic(&path, &folds_to_csv(cv, &path)?)?;
                Some(path)
            }
            None => None,
        };
        let predictions_csv = if self.predictions.is_empty() {
            None
        } else {
            let path = dir.join("predictions.csv");
            write_atomic(&path, &predictions_to_csv(&self.predictions, &path)?)?;
            Some(path)
        };
        let mistake_pictures = self.write_mistake_pictures(dir)?;
        let confusion_png_path = dir.join("confusion.png");
        write_atomic(&confusion_png_path, &confusion_png)?;
        let coverage_png_path = match coverage_png {
            Some(bytes) => {
                let path = dir.join("coverage.png");
                write_atomic(&path, &bytes)?;
                Some(path)
            }
            None => None,
        };
        let html_path = dir.join("report.html");
        write_atomic(&html_path, html.as_bytes())?;
        Ok(ReportFiles {
            json: json_path,
            confusion_csv,
            per_class_csv,
            predictions_csv,
            mistake_pictures,
            confusion_png: confusion_png_path,
            coverage_png: coverage_png_path,
            folds_csv,
            html: html_path,
        })
    }

    /// Write the pictures of the most confident mistakes to `dir/mistakes/`, and remove
    /// pictures there that an earlier report left and this one does not have.
    fn write_mistake_pictures(&self, dir: &Path) -> Result<Vec<PathBuf>, EvalError> {
        let folder = dir.join(MISTAKES_DIR);
        let mut written = Vec::new();
        for (rank, i) in mistakes_by_confidence(&self.predictions)
            .into_iter()
            .enumerate()
            .take(MAX_MISTAKE_PICTURES)
        {
            let Some(png) = self.mistake_pictures.get(&i) else {
                continue;
            };
            if written.is_empty() {
                std::fs::create_dir_all(&folder).map_err(|source| EvalError::Io {
                    path: folder.clone(),
                    source,
                })?;
            }
            let path = folder.join(mistake_picture_name(rank));
            write_atomic(&path, png)?;
            written.push(path);
        }
        if let Ok(entries) = std::fs::read_dir(&folder) {
            for e in entries.flatten() {
                let p = e.path();
                let ours = p.extension().is_some_and(|x| x == "png")
                    && p.file_stem()
                        .is_some_and(|s| s.to_string_lossy().bytes().all(|b| b.is_ascii_digit()));
                if ours && !written.contains(&p) {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        Ok(written)
    }

    fn confusion_title(&self) -> String {
        let m = &self.metrics;
        let what = if self.folds.is_some() {
            "pooled over folds, "
        } else {
            ""
        };
        format!(
            "{}: accuracy {:.1}% ({what}n = {})",
            self.dataset,
            100.0 * m.accuracy,
            m.n_clips
        )
    }
}

/// Write `bytes` to `path` atomically: a temporary file in the same folder, flushed to
/// disk, then renamed over `path`. On any error the temporary file is removed and `path`
/// is untouched.
///
/// # Errors
/// [`EvalError::Io`] naming `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EvalError> {
    hark_io::write_atomic(path, bytes).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `value` as pretty JSON to `path`, atomically.
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<(), EvalError> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| EvalError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, &json)
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> EvalError + '_ {
    move |e| EvalError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn finish_csv(w: csv::Writer<Vec<u8>>, path: &Path) -> Result<Vec<u8>, EvalError> {
    w.into_inner().map_err(|e| EvalError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Confusion matrix as CSV: header `true\predicted,<classes...>[,unknown]`, then one row
/// per true class starting with its name. `path` only names the file in errors.
pub fn confusion_to_csv(cm: &ConfusionMatrix, path: &Path) -> Result<Vec<u8>, EvalError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["true\\predicted"];
    header.extend(cm.column_labels());
    w.write_record(&header).map_err(csv_err(path))?;
    for (t, name) in cm.classes.iter().enumerate() {
        let mut rec = vec![name.clone()];
        rec.extend(cm.row(t).iter().map(usize::to_string));
        w.write_record(&rec).map_err(csv_err(path))?;
    }
    finish_csv(w, path)
}

/// Per-class scores as CSV: `class,precision,recall,f1,support,predicted`, one row per class,
/// then `macro avg` and `weighted avg` rows (as scikit-learn's `classification_report`;
/// their support is all clips, their `predicted` all answered clips).
pub fn per_class_to_csv(m: &Metrics, path: &Path) -> Result<Vec<u8>, EvalError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["class", "precision", "recall", "f1", "support", "predicted"])
        .map_err(csv_err(path))?;
    for c in &m.per_class {
        w.write_record([
            c.name.clone(),
            format!("{:.6}", c.precision),
            format!("{:.6}", c.recall),
            format!("{:.6}", c.f1),
            c.support.to_string(),
            c.predicted.to_string(),
        ])
        .map_err(csv_err(path))?;
    }
    let total: usize = m.per_class.iter().map(|c| c.support).sum();
    for (name, p, r, f) in m.average_rows() {
        w.write_record([
            name.to_string(),
            format!("{p:.6}"),
            format!("{r:.6}"),
            format!("{f:.6}"),
            total.to_string(),
            m.answered.to_string(),
        ])
        .map_err(csv_err(path))?;
    }
    finish_csv(w, path)
}

/// Per-fold scores as CSV: `fold,n_clips,accuracy,balanced_accuracy,macro_f1,coverage`.
pub fn folds_to_csv(cv: &CvSummary, path: &Path) -> Result<Vec<u8>, EvalError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "fold",
        "n_clips",
        "accuracy",
        "balanced_accuracy",
        "macro_f1",
        "coverage",
    ])
    .map_err(csv_err(path))?;
    for f in &cv.folds {
        let m = &f.metrics;
        w.write_record([
            f.name.clone(),
            m.n_clips.to_string(),
            format!("{:.6}", m.accuracy),
            format!("{:.6}", m.balanced_accuracy),
            format!("{:.6}", m.macro_f1),
            format!("{:.6}", m.coverage),
        ])
        .map_err(csv_err(path))?;
    }
    finish_csv(w, path)
}
