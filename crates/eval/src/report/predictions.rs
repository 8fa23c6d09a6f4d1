//! Per-clip predictions: one row per scored clip (file, segment, true and predicted label,
//! probability, top 3) for `predictions.csv` and the report's mistakes. Flow: train/eval ->
//! **reports** (`hark eval`, `hark cv`), like BirdNET's per-file tables.

use std::path::{Path, PathBuf};

use crate::decision::Decision;
use crate::error::EvalError;

use super::{csv_err, finish_csv};

/// How many of the most probable classes each row lists.
pub const TOP_K: usize = 3;

/// One scored clip.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipRow {
    /// The audio file, as the dataset names it.
    pub file: PathBuf,
    /// Segment start in seconds of the file, when the clip is a segment.
    pub start: Option<f64>,
    /// Segment end in seconds of the file, when the clip is a segment.
    pub end: Option<f64>,
    /// The fold the clip was tested in (`hark cv`), or its dataset fold; `None` when neither.
    pub fold: Option<String>,
    /// The dataset's label.
    pub true_label: String,
    /// What the model said: a class name, `unknown` or `silent`.
    pub predicted: String,
    /// The top clip probability (0 for a silent clip).
    pub probability: f32,
    /// The [`TOP_K`] most probable classes, most probable first (empty for a silent clip).
    pub top: Vec<(String, f32)>,
    /// Whether the prediction is the true label; `None` when the true label is not one of
    /// the model's classes (the clip is then left out of the metrics too).
    pub correct: Option<bool>,
}

impl ClipRow {
    /// A row from a clip decision. `probs` are the clip probabilities in `classes` order.
    pub fn new(
        file: impl Into<PathBuf>,
        true_label: impl Into<String>,
        classes: &[String],
        probs: &[f32],
        decision: &Decision,
    ) -> Self {
        let true_label = true_label.into();
        let mut order: Vec<usize> = (0..probs.len().min(classes.len()))
            .filter(|&c| !probs[c].is_nan())
            .collect();
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
        let top = if decision.silent {
            Vec::new()
        } else {
            order
                .iter()
                .take(TOP_K)
                .map(|&c| (classes[c].clone(), probs[c]))
                .collect()
        };
        let predicted = decision.outcome().name(classes).to_string();
        let correct = classes
            .contains(&true_label)
            .then(|| decision.label.is_some() && !decision.silent && predicted == true_label);
        ClipRow {
            file: file.into(),
            start: None,
            end: None,
            fold: None,
            true_label,
            predicted,
            probability: decision.probability,
            top,
            correct,
        }
    }

    /// The segment `start..end` (seconds of the file; either may be `None`).
    pub fn with_segment(mut self, start: Option<f64>, end: Option<f64>) -> Self {
        self.start = start;
        self.end = end;
        self
    }

    /// The fold the clip was tested in.
    pub fn with_fold(mut self, fold: Option<String>) -> Self {
        self.fold = fold;
        self
    }

    /// A clip the metrics count as wrong (misclassified, unknown or silent).
    pub fn is_mistake(&self) -> bool {
        self.correct == Some(false)
    }
}

/// Indices of the wrong rows ([`ClipRow::is_mistake`]), most confident first (ties in file
/// order): the confidently wrong clips are the ones to listen to first (a wrong label, a
/// class the model has learned wrongly).
pub fn mistakes_by_confidence(rows: &[ClipRow]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].is_mistake()).collect();
    idx.sort_by(|&a, &b| {
        rows[b]
            .probability
            .total_cmp(&rows[a].probability)
            .then(a.cmp(&b))
    });
    idx
}

/// The header of [`predictions_to_csv`].
pub const PREDICTIONS_CSV_HEADER: [&str; 14] = [
    "file",
    "start",
    "end",
    "fold",
    "true_label",
    "predicted_label",
    "probability",
    "correct",
    "top1_label",
    "top1_probability",
    "top2_label",
    "top2_probability",
    "top3_label",
    "top3_probability",
];

/// A probability for CSV/JSON: 6 decimals.
fn p6(p: f32) -> String {
    format!("{p:.6}")
}

/// Predictions as CSV ([`PREDICTIONS_CSV_HEADER`]): one row per clip in the order given;
/// empty cells for a whole file's start/end, no fold, an unknown `correct` (label not a
/// model class) and missing top-k entries. Probabilities have 6 decimals. `path` only names
/// the file in errors.
pub fn predictions_to_csv(rows: &[ClipRow], path: &Path) -> Result<Vec<u8>, EvalError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(PREDICTIONS_CSV_HEADER)
        .map_err(csv_err(path))?;
    let secs = |v: Option<f64>| v.map(|s| format!("{s:.3}")).unwrap_or_default();
    for r in rows {
        let mut rec = vec![
            r.file.display().to_string(),
            secs(r.start),
            secs(r.end),
            r.fold.clone().unwrap_or_default(),
            r.true_label.clone(),
            r.predicted.clone(),
            p6(r.probability),
            r.correct.map(|c| c.to_string()).unwrap_or_default(),
        ];
        for k in 0..TOP_K {
            match r.top.get(k) {
                Some((name, p)) => rec.extend([name.clone(), p6(*p)]),
                None => rec.extend([String::new(), String::new()]),
            }
        }
        w.write_record(&rec).map_err(csv_err(path))?;
    }
    finish_csv(w, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> Vec<String> {
        ["dog", "rain", "siren", "drill"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn decided(label: Option<usize>, p: f32) -> Decision {
        Decision {
            label,
            probability: p,
            silent: false,
        }
    }

    #[test]
    fn rows_list_the_top_three_and_say_whether_right() {
        let c = classes();
        let r = ClipRow::new(
            "a.wav",
            "rain",
            &c,
            &[0.1, 0.2, 0.6, 0.1],
            &decided(Some(2), 0.6),
        );
        assert_eq!(r.predicted, "siren");
        assert_eq!(r.correct, Some(false));
        let names: Vec<&str> = r.top.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(names, ["siren", "rain", "dog"], "ties keep class order");
        let unknown = ClipRow::new(
            "b.wav",
            "dog",
            &c,
            &[0.4, 0.3, 0.2, 0.1],
            &decided(None, 0.4),
        );
        assert_eq!(
            (unknown.predicted.as_str(), unknown.correct),
            ("unknown", Some(false))
        );
        let silent = ClipRow::new("c.wav", "dog", &c, &[0.0; 4], &Decision::SILENT);
        assert_eq!(silent.predicted, "silent");
        assert!(silent.top.is_empty() && silent.is_mistake());
        let foreign = ClipRow::new(
            "d.wav",
            "cat",
            &c,
            &[0.7, 0.1, 0.1, 0.1],
            &decided(Some(0), 0.7),
        );
        assert_eq!(
            foreign.correct, None,
            "not a model class: neither right nor wrong"
        );
        let right = ClipRow::new(
            "e.wav",
            "dog",
            &c,
            &[0.7, 0.1, 0.1, 0.1],
            &decided(Some(0), 0.7),
        );
        assert_eq!(right.correct, Some(true));
        let rows = [right, r, unknown, silent, foreign];
        assert_eq!(
            mistakes_by_confidence(&rows),
            [1, 2, 3],
            "by probability, descending"
        );
    }

    #[test]
    fn csv_has_the_documented_columns_and_six_digit_probabilities() {
        let c = classes();
        let rows = [
            ClipRow::new(
                "dir/a b.wav",
                "rain",
                &c,
                &[0.123_456_78, 0.8, 0.05, 0.026_543_22],
                &decided(Some(1), 0.8),
            )
            .with_segment(Some(1.5), Some(2.25))
            .with_fold(Some("3".into())),
            ClipRow::new("q.wav", "dog", &c, &[0.0; 4], &Decision::SILENT),
        ];
        let bytes = predictions_to_csv(&rows, Path::new("predictions.csv")).expect("csv");
        let text = String::from_utf8(bytes).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], PREDICTIONS_CSV_HEADER.join(","));
        assert_eq!(
            lines[1],
            "dir/a b.wav,1.500,2.250,3,rain,rain,0.800000,true,rain,0.800000,dog,0.123457,siren,0.050000"
        );
        assert_eq!(lines[2], "q.wav,,,,dog,silent,0.000000,false,,,,,,");
        assert_eq!(lines.len(), 3);
    }
}
