//! Per-audio-file annotation formats of the predict/stream stage: Audacity label tracks and
//! Raven Pro selection tables, so predictions can be checked by eye and ear on the
//! spectrogram.
//!
//! **Audacity**: `start<TAB>end<TAB>text`, times in seconds with 6 decimals, no header (the
//! format Audacity's File > Import > Labels reads and hark's own label-track reader parses).
//! The text is [`label_text`]: `dog 0.870` (the label and its probability, 3 decimals), and for
//! events `dog 0.870 (peak 0.950)` (mean, then peak). A clip record spans the whole file.
//!
//! **Raven**: a tab-separated selection table with Raven's standard measurement columns
//! (`Selection`, `View`, `Channel`, `Begin Time (s)`, `End Time (s)`, `Low Freq (Hz)`,
//! `High Freq (Hz)`, `Begin Path`, `File Offset (s)`) plus two annotation columns, `Label` and
//! `Score` (probability; the mean for events). Every selection is on view `Spectrogram 1`,
//! channel 1, spans the model's frequency band, and is numbered from 1 in each file.

use std::io::Write;

use crate::Record;
use crate::encode::{EncodeError, Settings};
use crate::record::round_probability;

/// Decimals of times in label tracks and selection tables (microseconds: Audacity's own).
pub const TRACK_TIME_DECIMALS: usize = 6;

/// The header of a Raven selection table.
pub const RAVEN_HEADER: [&str; 11] = [
    "Selection",
    "View",
    "Channel",
    "Begin Time (s)",
    "End Time (s)",
    "Low Freq (Hz)",
    "High Freq (Hz)",
    "Label",
    "Score",
    "Begin Path",
    "File Offset (s)",
];

/// Raven's name for the spectrogram view the selections are drawn on.
pub const RAVEN_VIEW: &str = "Spectrogram 1";

/// The Audacity label text of a record: `"<label> <p>"` with `p` to 3 decimals (the
/// probability; for events the mean, followed by ` (peak <peak>)`). Tabs and line breaks in
/// a label become spaces.
pub fn label_text(record: &Record) -> String {
    let (label, score) = record.label_score();
    let label = one_field(label);
    match record {
        Record::Event(e) => format!("{label} {score:.3} (peak {:.3})", e.peak),
        _ => format!("{label} {score:.3}"),
    }
}

/// A label as one tab-separated field on one line.
fn one_field(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

pub(crate) struct AudacityEncoder<W> {
    w: W,
}

impl<W: Write> AudacityEncoder<W> {
    pub fn new(w: W) -> AudacityEncoder<W> {
        AudacityEncoder { w }
    }

    pub fn write(&mut self, record: &Record) -> Result<(), EncodeError> {
        let (start, end) = record.span_s();
        let d = TRACK_TIME_DECIMALS;
        writeln!(self.w, "{start:.d$}\t{end:.d$}\t{}", label_text(record))?;
        Ok(())
    }

    pub fn finish(self) -> W {
        self.w
    }
}

pub(crate) struct RavenEncoder<W> {
    w: W,
    selection: usize,
    low: f64,
    high: f64,
    begin_path: String,
}

impl<W: Write> RavenEncoder<W> {
    pub fn new(mut w: W, settings: &Settings) -> Result<RavenEncoder<W>, EncodeError> {
        writeln!(w, "{}", RAVEN_HEADER.join("\t"))?;
        // Raven opens the sound of a selection from `Begin Path`: make it absolute (no file
        // system access; a relative path is taken from the current folder).
        let begin_path = settings
            .audio
            .as_deref()
            .map(|a| {
                let abs = std::path::absolute(a).unwrap_or_else(|_| a.to_path_buf());
                one_field(&abs.to_string_lossy())
            })
            .unwrap_or_default();
        Ok(RavenEncoder {
            w,
            selection: 0,
            low: settings.band_hz.0,
            high: settings.band_hz.1,
            begin_path,
        })
    }

    pub fn write(&mut self, record: &Record) -> Result<(), EncodeError> {
        self.selection += 1;
        let (start, end) = record.span_s();
        let (label, score) = record.label_score();
        let d = TRACK_TIME_DECIMALS;
        writeln!(
            self.w,
            "{}\t{RAVEN_VIEW}\t1\t{start:.d$}\t{end:.d$}\t{}\t{}\t{}\t{}\t{}\t{start:.d$}",
            self.selection,
            self.low,
            self.high,
            one_field(label),
            round_probability(score),
            self.begin_path,
        )?;
        Ok(())
    }

    pub fn finish(self) -> W {
        self.w
    }
}
