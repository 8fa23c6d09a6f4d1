//! `hark features`: the librosa-layout feature matrix of one file as CSV or .npy, to a file or
//! to standard output (`-o -`); the audio may come from standard input (`-`).
//!
//! Flow: outermost layer over hark-audio (decode) and hark-features (matrices).

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use hark_features::{MatrixExtractor, MatrixKind};

use super::Outcome;
use super::input::{is_dash, load_for};
use crate::args::{FeaturesArgs, FormatArg, MatrixArg};

/// The format to write `output` in: `--format`, else the extension (`.csv`, `.npy`); CSV on
/// standard output. An unknown extension without `--format` is a usage error listing the
/// choices (never CSV written silently to `f.txt`), as is a format contradicting the extension.
pub fn output_format(output: &Path, format: Option<FormatArg>) -> Result<FormatArg> {
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let from_ext = match ext.as_deref() {
        Some("csv") => Some(FormatArg::Csv),
        Some("npy") => Some(FormatArg::Npy),
        _ => None,
    };
    match (format, from_ext) {
        (Some(f), Some(e)) if f != e => bail!(
            "{} ends in .{} but --format {} was given; use a matching extension or drop --format",
            output.display(),
            ext.unwrap_or_default(),
            name(f)
        ),
        (Some(f), _) | (None, Some(f)) => Ok(f),
        (None, None) if is_dash(output) => Ok(FormatArg::Csv),
        (None, None) => bail!(
            "cannot tell the format of {} from its extension: name it .csv or .npy, or give --format csv or --format npy",
            output.display()
        ),
    }
}

fn name(f: FormatArg) -> &'static str {
    match f {
        FormatArg::Csv => "csv",
        FormatArg::Npy => "npy",
    }
}

/// `hark features`.
pub fn features(args: &FeaturesArgs) -> Result<Outcome> {
    let format = output_format(&args.output, args.format)?;
    let cfg = args.features.to_config()?;
    let y = load_for(&args.audio, cfg.sr)?.audio.samples;
    let kind = match args.kind {
        MatrixArg::Stft => MatrixKind::StftMagnitude,
        MatrixArg::Mel => MatrixKind::MelPower,
        MatrixArg::Logmel => MatrixKind::LogMelDb,
    };
    // The same numbers for any thread count; `--threads` sized rayon's pool.
    let m = MatrixExtractor::new(&cfg)?.compute_parallel(&y, kind, rayon::current_num_threads())?;
    if is_dash(&args.output) {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        match format {
            FormatArg::Csv => hark_features::write_csv_to(&mut out, &m)?,
            FormatArg::Npy => hark_features::write_npy_to(&mut out, &m)?,
        }
        out.flush()?;
        return Ok(Outcome::Ok);
    }
    match format {
        FormatArg::Csv => hark_features::write_csv(&args.output, &m)?,
        FormatArg::Npy => hark_features::write_npy(&args.output, &m)?,
    }
    if !args.quiet {
        eprintln!(
            "wrote {} ({} x {})",
            args.output.display(),
            m.nrows(),
            m.ncols()
        );
    }
    Ok(Outcome::Ok)
}
