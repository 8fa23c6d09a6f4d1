//! The output formats of the predict/stream stage, their names on the command line and where
//! each can be written (a stream, or one file per audio file).

use std::fmt;
use std::str::FromStr;

/// A format prediction records are written in.
///
/// | name | stream (stdout / one file) | one file per audio file |
/// |---|---|---|
/// | `table` | yes | no |
/// | `csv` | yes | `dog.wav.csv` |
/// | `jsonl` | yes | `dog.wav.jsonl` |
/// | `parquet` | yes (cargo feature `parquet`) | `dog.wav.parquet` |
/// | `audacity` | no | `dog.wav.txt` |
/// | `raven` | no | `dog.wav.Table.1.selections.txt` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Aligned columns for reading in a terminal; probabilities to 3 decimals.
    Table,
    /// Comma-separated values with a header row: for spreadsheets, pandas, R.
    Csv,
    /// JSON lines: one object per record, flushed line by line (for live consumers).
    #[serde(rename = "jsonl")]
    JsonLines,
    /// Apache Parquet: typed columns, compressed, for pandas/polars/DuckDB on large runs.
    Parquet,
    /// Audacity label track (`start<TAB>end<TAB>label`), one per audio file.
    Audacity,
    /// Raven Pro selection table, one per audio file.
    Raven,
}

impl OutputFormat {
    /// Every format, in the order of the table above.
    pub const ALL: [OutputFormat; 6] = [
        OutputFormat::Table,
        OutputFormat::Csv,
        OutputFormat::JsonLines,
        OutputFormat::Parquet,
        OutputFormat::Audacity,
        OutputFormat::Raven,
    ];

    /// The command-line name (`table, csv, jsonl, parquet, audacity, raven`).
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::JsonLines => "jsonl",
            OutputFormat::Parquet => "parquet",
            OutputFormat::Audacity => "audacity",
            OutputFormat::Raven => "raven",
        }
    }

    /// One line for `--help` (the variant docs, shortened).
    pub fn help(self) -> &'static str {
        match self {
            OutputFormat::Table => "aligned columns for a terminal",
            OutputFormat::Csv => "comma-separated values with a header row",
            OutputFormat::JsonLines => "one JSON object per line, flushed as written",
            OutputFormat::Parquet => "Apache Parquet (typed columns) for pandas/polars/DuckDB",
            OutputFormat::Audacity => "Audacity label track per audio file",
            OutputFormat::Raven => "Raven Pro selection table per audio file",
        }
    }

    /// What is appended to an audio file's whole name for its per-audio-file output (see
    /// [`crate::output_path`]). The table is never written per audio file; its suffix
    /// (`.table.txt`) only keeps this function total.
    pub fn per_file_suffix(self) -> &'static str {
        match self {
            OutputFormat::Table => ".table.txt",
            OutputFormat::Csv => ".csv",
            OutputFormat::JsonLines => ".jsonl",
            OutputFormat::Parquet => ".parquet",
            OutputFormat::Audacity => ".txt",
            OutputFormat::Raven => ".Table.1.selections.txt",
        }
    }

    /// Whether the format can be one stream for a whole run (stdout or one file). Audacity
    /// label tracks and Raven selection tables describe one audio file each.
    pub fn streams(self) -> bool {
        !matches!(self, OutputFormat::Audacity | OutputFormat::Raven)
    }

    /// Whether this build can write the format (Parquet needs the `parquet` cargo feature).
    pub fn built(self) -> bool {
        self != OutputFormat::Parquet || cfg!(feature = "parquet")
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown format name; the message lists the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown output format {given:?}; choose one of: table, csv, jsonl, parquet, audacity, raven"
)]
pub struct UnknownFormat {
    /// The name given.
    pub given: String,
}

impl FromStr for OutputFormat {
    type Err = UnknownFormat;

    /// Parses a command-line name, ignoring ASCII case (`json` and `jsonlines` are also
    /// accepted for `jsonl`).
    fn from_str(s: &str) -> Result<OutputFormat, UnknownFormat> {
        let lower = s.trim().to_ascii_lowercase();
        if matches!(lower.as_str(), "json" | "jsonlines" | "ndjson") {
            return Ok(OutputFormat::JsonLines);
        }
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.name() == lower)
            .ok_or_else(|| UnknownFormat { given: s.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for f in OutputFormat::ALL {
            assert_eq!(f.name().parse::<OutputFormat>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!("JSONL".parse(), Ok(OutputFormat::JsonLines));
        let e = "xlsx".parse::<OutputFormat>().expect_err("unknown");
        assert!(e.to_string().contains("parquet"), "{e}");
    }
}
