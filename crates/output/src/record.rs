//! The prediction records (predict/stream stage output): one per clip, per analysis window or
//! per detected event, with the column layout every format shares and the rounding of text
//! formats.

use serde::Serialize;

/// The decision for a whole audio file (or clip).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClipRecord {
    /// The audio file, as the caller names it.
    pub file: String,
    /// The class name, `"unknown"` (below the threshold) or `"silent"` (no window loud enough).
    pub label: String,
    /// The decided class's pooled probability.
    pub probability: f32,
    /// Windows the decision pooled.
    pub windows: usize,
    /// Length of the audio in seconds.
    pub duration_s: f64,
    /// The top-k classes with their probabilities, best first.
    pub top: Vec<(String, f32)>,
}

/// The prediction for one analysis window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowRecord {
    /// The audio file, as the caller names it.
    pub file: String,
    /// Window start in seconds from the start of the file.
    pub start_s: f64,
    /// Window end in seconds.
    pub end_s: f64,
    /// The class name, `"unknown"` or `"silent"`.
    pub label: String,
    /// The label's probability (0 for a silent window).
    pub probability: f32,
    /// One probability per class, in class order; zeros for a silent window.
    pub probs: Vec<f32>,
}

/// A detected sound event (see `hark_infer::events`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// The audio file, as the caller names it.
    pub file: String,
    /// The class name.
    pub label: String,
    /// Event start in seconds from the start of the file.
    pub start_s: f64,
    /// Event end in seconds.
    pub end_s: f64,
    /// Mean raw window probability of the class over the event.
    pub mean: f32,
    /// Peak raw window probability of the class over the event.
    pub peak: f32,
}

/// Any one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// A clip decision.
    Clip(ClipRecord),
    /// A window prediction.
    Window(WindowRecord),
    /// A sound event.
    Event(EventRecord),
}

impl Record {
    /// Which kind of record this is.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Clip(_) => RecordKind::Clip,
            Record::Window(_) => RecordKind::Window,
            Record::Event(_) => RecordKind::Event,
        }
    }

    /// The audio file the record is about.
    pub fn file(&self) -> &str {
        match self {
            Record::Clip(r) => &r.file,
            Record::Window(r) => &r.file,
            Record::Event(r) => &r.file,
        }
    }

    /// Start and end in seconds (a clip spans `0..duration_s`).
    pub fn span_s(&self) -> (f64, f64) {
        match self {
            Record::Clip(r) => (0.0, r.duration_s),
            Record::Window(r) => (r.start_s, r.end_s),
            Record::Event(r) => (r.start_s, r.end_s),
        }
    }

    /// The label and its score: the probability for clips and windows, the mean for events.
    pub fn label_score(&self) -> (&str, f32) {
        match self {
            Record::Clip(r) => (&r.label, r.probability),
            Record::Window(r) => (&r.label, r.probability),
            Record::Event(r) => (&r.label, r.mean),
        }
    }
}

impl From<ClipRecord> for Record {
    fn from(r: ClipRecord) -> Record {
        Record::Clip(r)
    }
}

impl From<WindowRecord> for Record {
    fn from(r: WindowRecord) -> Record {
        Record::Window(r)
    }
}

impl From<EventRecord> for Record {
    fn from(r: EventRecord) -> Record {
        Record::Event(r)
    }
}

/// The kind of records a writer takes (one kind per writer: each has its own columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// [`ClipRecord`]s.
    Clip,
    /// [`WindowRecord`]s.
    Window,
    /// [`EventRecord`]s.
    Event,
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RecordKind::Clip => "clip",
            RecordKind::Window => "window",
            RecordKind::Event => "event",
        })
    }
}

/// Decimals of probabilities in text formats (CSV, JSON lines, Raven scores).
pub const PROBABILITY_DECIMALS: i32 = 6;
/// Decimals of times in CSV and JSON lines (milliseconds).
pub const TIME_DECIMALS: i32 = 3;

/// A probability rounded to [`PROBABILITY_DECIMALS`], as the f64 a text format prints in its
/// shortest form (`0.87`, not `0.8700000047683716`).
pub fn round_probability(p: f32) -> f64 {
    round_to(f64::from(p), PROBABILITY_DECIMALS)
}

/// A time in seconds rounded to [`TIME_DECIMALS`].
pub fn round_time(t: f64) -> f64 {
    round_to(t, TIME_DECIMALS)
}

fn round_to(x: f64, decimals: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(decimals);
    // `+ 0.0` turns -0.0 into 0.0, so a tiny negative never prints as "-0".
    (x * scale).round() / scale + 0.0
}

/// The column layout of one writer: its record kind, the model's classes and the column names
/// derived from them.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub kind: RecordKind,
    pub classes: Vec<String>,
    /// Window records: one column name per class (see [`class_columns`]).
    pub class_columns: Vec<String>,
    /// Clip records: how many `topN`/`topN_p` column pairs.
    pub top_k: usize,
}

impl Layout {
    pub fn new(kind: RecordKind, classes: &[String], top_k: usize) -> Layout {
        Layout {
            kind,
            classes: classes.to_vec(),
            class_columns: class_columns(classes),
            top_k,
        }
    }

    /// Column names of the table formats (CSV, Parquet), in order.
    pub fn columns(&self) -> Vec<String> {
        let fixed: &[&str] = match self.kind {
            RecordKind::Clip => &CLIP_COLUMNS,
            RecordKind::Window => &WINDOW_COLUMNS,
            RecordKind::Event => &EVENT_COLUMNS,
        };
        let mut cols: Vec<String> = fixed.iter().map(|c| (*c).to_owned()).collect();
        match self.kind {
            RecordKind::Clip => {
                for i in 1..=self.top_k {
                    cols.push(format!("top{i}"));
                    cols.push(format!("top{i}_p"));
                }
            }
            RecordKind::Window => cols.extend(self.class_columns.iter().cloned()),
            RecordKind::Event => {}
        }
        cols
    }
}

/// The fixed columns of clip records (then `top1, top1_p, ... topK, topK_p`).
pub const CLIP_COLUMNS: [&str; 5] = ["file", "label", "probability", "windows", "duration_s"];
/// The fixed columns of window records (then one column per class).
pub const WINDOW_COLUMNS: [&str; 5] = ["file", "start_s", "end_s", "label", "probability"];
/// The columns of event records.
pub const EVENT_COLUMNS: [&str; 6] = ["file", "label", "start_s", "end_s", "mean", "peak"];

/// Column names for the per-class probabilities of window records: the class name itself,
/// except where that would repeat an earlier column (a class called `label`, or a name used
/// twice), which becomes `class:<name>` (then `class:<name>#2`, ...), so every column name is
/// unique and pandas/polars can select it.
pub fn class_columns(classes: &[String]) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> =
        WINDOW_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    classes
        .iter()
        .map(|c| {
            let mut name = c.clone();
            if taken.contains(&name) {
                name = format!("class:{c}");
            }
            let base = name.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}#{n}");
                n += 1;
            }
            taken.insert(name.clone());
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_prints_short_and_never_negative_zero() {
        assert_eq!(round_probability(0.87).to_string(), "0.87");
        assert_eq!(round_probability(0.123_456_78).to_string(), "0.123457");
        assert_eq!(round_time(1.234_56).to_string(), "1.235");
        assert_eq!(round_time(-1e-9).to_string(), "0");
        assert!(round_probability(f32::NAN).is_nan());
    }

    #[test]
    fn class_columns_stay_unique() {
        let classes: Vec<String> = ["dog", "label", "dog", "class:label", "dog"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            class_columns(&classes),
            [
                "dog",
                "class:label",
                "class:dog",
                "class:class:label",
                "class:dog#2"
            ]
        );
    }
}
