//! Text encoders of the predict/stream stage: the terminal table, CSV and JSON lines.
//!
//! CSV and JSON lines round probabilities to [`PROBABILITY_DECIMALS`] and times to
//! [`TIME_DECIMALS`] and print the shortest form (`0.87`, `1.5`); the table prints
//! probabilities with 3 decimals and times with 3 (milliseconds).

use std::io::Write;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::encode::EncodeError;
use crate::record::{Layout, round_probability, round_time};
use crate::{Record, RecordKind};

#[cfg(doc)]
use crate::record::{PROBABILITY_DECIMALS, TIME_DECIMALS};

/// Width of a time column in the table (`99999.999` s, about 28 hours; longer times push the
/// row).
const TABLE_TIME_WIDTH: usize = 9;
/// Width of a probability in the table (`0.870`).
const TABLE_P_WIDTH: usize = 5;

/// Aligned columns for a terminal. Every column has a width fixed by the record kind and the
/// class names, and the file name comes last, so rows stay aligned and long names are
/// printed whole.
pub(crate) struct TableEncoder<W> {
    w: W,
    kind: RecordKind,
    label_w: usize,
    top_k: usize,
    top_w: usize,
    live: bool,
}

impl<W: Write> TableEncoder<W> {
    pub fn new(mut w: W, layout: &Layout, live: bool) -> Result<TableEncoder<W>, EncodeError> {
        let label_w = layout
            .classes
            .iter()
            .map(|c| c.chars().count())
            .chain(["unknown".len(), "silent".len(), "label".len()])
            .max()
            .unwrap_or(0);
        // Each top entry is "<label> 0.870", entries separated by ", ".
        let top_k = layout.top_k;
        let top_w = (top_k * (label_w + 1 + TABLE_P_WIDTH) + top_k.saturating_sub(1) * 2).max(3);
        let (t, p) = (TABLE_TIME_WIDTH, TABLE_P_WIDTH);
        match layout.kind {
            RecordKind::Clip => {
                write!(
                    w,
                    "{:<label_w$}  {:>p$}  {:>7}  {:>10}  ",
                    "label", "prob", "windows", "duration_s"
                )?;
                if top_k > 0 {
                    write!(w, "{:<top_w$}  ", "top")?;
                }
                writeln!(w, "file")?;
            }
            RecordKind::Window => writeln!(
                w,
                "{:>t$}  {:>t$}  {:<label_w$}  {:>p$}  file",
                "start_s", "end_s", "label", "prob"
            )?,
            RecordKind::Event => writeln!(
                w,
                "{:>t$}  {:>t$}  {:<label_w$}  {:>p$}  {:>p$}  file",
                "start_s", "end_s", "label", "mean", "peak"
            )?,
        }
        if live {
            w.flush()?;
        }
        Ok(TableEncoder {
            w,
            kind: layout.kind,
            label_w,
            top_k,
            top_w,
            live,
        })
    }

    pub fn write(&mut self, record: &Record) -> Result<(), EncodeError> {
        let (lw, t, p) = (self.label_w, TABLE_TIME_WIDTH, TABLE_P_WIDTH);
        let w = &mut self.w;
        match record {
            Record::Clip(r) => {
                write!(
                    w,
                    "{:<lw$}  {:>p$.3}  {:>7}  {:>10.3}  ",
                    r.label, r.probability, r.windows, r.duration_s
                )?;
                if self.top_k > 0 {
                    let top: Vec<String> = r
                        .top
                        .iter()
                        .take(self.top_k)
                        .map(|(c, q)| format!("{c} {q:.3}"))
                        .collect();
                    write!(w, "{:<tw$}  ", top.join(", "), tw = self.top_w)?;
                }
                writeln!(w, "{}", r.file)?;
            }
            Record::Window(r) => writeln!(
                w,
                "{:>t$.3}  {:>t$.3}  {:<lw$}  {:>p$.3}  {}",
                r.start_s, r.end_s, r.label, r.probability, r.file
            )?,
            Record::Event(r) => writeln!(
                w,
                "{:>t$.3}  {:>t$.3}  {:<lw$}  {:>p$.3}  {:>p$.3}  {}",
                r.start_s, r.end_s, r.label, r.mean, r.peak, r.file
            )?,
        }
        debug_assert_eq!(record.kind(), self.kind);
        if self.live {
            self.w.flush()?;
        }
        Ok(())
    }

    pub fn finish(self) -> W {
        self.w
    }
}

/// CSV with a header row (the `csv` crate quotes fields as needed).
pub(crate) struct CsvEncoder<W: Write> {
    w: csv::Writer<W>,
    top_k: usize,
    row: csv::StringRecord,
    live: bool,
}

impl<W: Write> CsvEncoder<W> {
    pub fn new(w: W, layout: &Layout, live: bool) -> Result<CsvEncoder<W>, EncodeError> {
        let mut w = csv::Writer::from_writer(w);
        w.write_record(layout.columns())?;
        if live {
            w.flush()?;
        }
        Ok(CsvEncoder {
            w,
            top_k: layout.top_k,
            row: csv::StringRecord::new(),
            live,
        })
    }

    pub fn write(&mut self, record: &Record) -> Result<(), EncodeError> {
        let row = &mut self.row;
        row.clear();
        let p = |q: f32| round_probability(q).to_string();
        let t = |s: f64| round_time(s).to_string();
        match record {
            Record::Clip(r) => {
                row.push_field(&r.file);
                row.push_field(&r.label);
                row.push_field(&p(r.probability));
                row.push_field(&r.windows.to_string());
                row.push_field(&t(r.duration_s));
                for i in 0..self.top_k {
                    match r.top.get(i) {
                        Some((c, q)) => {
                            row.push_field(c);
                            row.push_field(&p(*q));
                        }
                        None => {
                            row.push_field("");
                            row.push_field("");
                        }
                    }
                }
            }
            Record::Window(r) => {
                row.push_field(&r.file);
                row.push_field(&t(r.start_s));
                row.push_field(&t(r.end_s));
                row.push_field(&r.label);
                row.push_field(&p(r.probability));
                for q in &r.probs {
                    row.push_field(&p(*q));
                }
            }
            Record::Event(r) => {
                row.push_field(&r.file);
                row.push_field(&r.label);
                row.push_field(&t(r.start_s));
                row.push_field(&t(r.end_s));
                row.push_field(&p(r.mean));
                row.push_field(&p(r.peak));
            }
        }
        self.w.write_record(&self.row)?;
        if self.live {
            self.w.flush()?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<W, EncodeError> {
        self.w
            .into_inner()
            .map_err(|e| EncodeError::Io(e.into_error()))
    }
}

/// JSON lines: one object per record. Clip `top` is a list of `{"label", "probability"}`
/// objects; window `probs` is an object keyed by class name, in class order (keys are the
/// CSV/Parquet column names, so a repeated class name gets the same `class:` prefix).
pub(crate) struct JsonEncoder<W> {
    w: W,
    classes: Vec<String>,
    top_k: usize,
    live: bool,
}

impl<W: Write> JsonEncoder<W> {
    pub fn new(w: W, layout: &Layout, live: bool) -> JsonEncoder<W> {
        JsonEncoder {
            w,
            classes: layout.class_columns.clone(),
            top_k: layout.top_k,
            live,
        }
    }

    pub fn write(&mut self, record: &Record) -> Result<(), EncodeError> {
        match record {
            Record::Clip(r) => serde_json::to_writer(
                &mut self.w,
                &ClipJson {
                    file: &r.file,
                    label: &r.label,
                    probability: round_probability(r.probability),
                    windows: r.windows,
                    duration_s: round_time(r.duration_s),
                    top: r
                        .top
                        .iter()
                        .take(self.top_k)
                        .map(|(label, p)| TopJson {
                            label,
                            probability: round_probability(*p),
                        })
                        .collect(),
                },
            )?,
            Record::Window(r) => serde_json::to_writer(
                &mut self.w,
                &WindowJson {
                    file: &r.file,
                    start_s: round_time(r.start_s),
                    end_s: round_time(r.end_s),
                    label: &r.label,
                    probability: round_probability(r.probability),
                    probs: ProbsJson {
                        classes: &self.classes,
                        probs: &r.probs,
                    },
                },
            )?,
            Record::Event(r) => serde_json::to_writer(
                &mut self.w,
                &EventJson {
                    file: &r.file,
                    label: &r.label,
                    start_s: round_time(r.start_s),
                    end_s: round_time(r.end_s),
                    mean: round_probability(r.mean),
                    peak: round_probability(r.peak),
                },
            )?,
        }
        self.w.write_all(b"\n")?;
        if self.live {
            self.w.flush()?;
        }
        Ok(())
    }

    pub fn finish(self) -> W {
        self.w
    }
}

#[derive(Serialize)]
struct ClipJson<'a> {
    file: &'a str,
    label: &'a str,
    probability: f64,
    windows: usize,
    duration_s: f64,
    top: Vec<TopJson<'a>>,
}

#[derive(Serialize)]
struct TopJson<'a> {
    label: &'a str,
    probability: f64,
}

#[derive(Serialize)]
struct WindowJson<'a> {
    file: &'a str,
    start_s: f64,
    end_s: f64,
    label: &'a str,
    probability: f64,
    probs: ProbsJson<'a>,
}

/// `{"class": p, ...}` in class order (a map serialised directly, so no sorting).
struct ProbsJson<'a> {
    classes: &'a [String],
    probs: &'a [f32],
}

impl Serialize for ProbsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.classes.len()))?;
        for (c, p) in self.classes.iter().zip(self.probs) {
            m.serialize_entry(c, &round_probability(*p))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct EventJson<'a> {
    file: &'a str,
    label: &'a str,
    start_s: f64,
    end_s: f64,
    mean: f64,
    peak: f64,
}
