//! One function per subcommand; each returns an [`Outcome`] or an error with its cause chain.
//!
//! Flow: outermost layer; calls into audio, features, data, train and eval.

mod predict;
mod train;

use std::io::Write;

use anyhow::{Context, Result};
use hark_features::MatrixKind;
use hark_plot::SpectrogramOptions;

use crate::args::{FeaturesArgs, InfoArgs, MatrixArg, SpectrogramArgs};

pub use predict::predict;
pub use train::{cv, eval, train};

/// How a command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything succeeded.
    Ok,
    /// Some inputs failed; they were reported and the rest processed (exit code 1).
    SomeFailed,
}

fn is_model_file(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hark"))
}

/// `hark info`: one block per file; a bad file is reported and the rest still processed.
pub fn info(args: &InfoArgs) -> Result<Outcome> {
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in &args.files {
        let shown = if is_model_file(path) {
            train::model_info(path)
        } else {
            audio_info(path)
        };
        match shown {
            Ok(text) => write!(out, "{text}")?,
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e:#}", path.display());
            }
        }
    }
    Ok(if failed > 0 {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}

fn audio_info(path: &std::path::Path) -> Result<String> {
    let i = hark_audio::probe(path)?;
    let bits = i
        .bits_per_sample
        .map(|b| format!("{b}-bit "))
        .unwrap_or_default();
    let dur = i
        .duration
        .map(|d| format!("{d:.3} s"))
        .unwrap_or_else(|| "unknown".into());
    let frames = i
        .frames
        .map(|f| format!(" ({f} frames)"))
        .unwrap_or_default();
    Ok(format!(
        "{}\n  format:   {}\n  codec:    {bits}{}\n  rate:     {} Hz\n  channels: {}\n  duration: {dur}{frames}\n",
        path.display(),
        i.container,
        i.codec,
        i.sample_rate,
        i.channels
    ))
}

fn load_for(path: &std::path::Path, sr: u32) -> Result<Vec<f32>> {
    let audio = hark_audio::load_mono(path, Some(sr))
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(audio.samples)
}

/// `hark features`: the librosa-layout matrix as CSV or .npy.
pub fn features(args: &FeaturesArgs) -> Result<Outcome> {
    let cfg = args.features.to_config()?;
    let y = load_for(&args.audio, cfg.sr)?;
    let kind = match args.kind {
        MatrixArg::Stft => MatrixKind::StftMagnitude,
        MatrixArg::Mel => MatrixKind::MelPower,
        MatrixArg::Logmel => MatrixKind::LogMelDb,
    };
    let m = hark_features::feature_matrix(&y, &cfg, kind)?;
    let is_npy = args
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        hark_features::write_npy(&args.output, &m)?;
    } else {
        hark_features::write_csv(&args.output, &m)?;
    }
    eprintln!(
        "wrote {} ({} x {})",
        args.output.display(),
        m.nrows(),
        m.ncols()
    );
    Ok(Outcome::Ok)
}

/// `hark spectrogram`: a labelled log-mel picture.
pub fn spectrogram(args: &SpectrogramArgs) -> Result<Outcome> {
    let cfg = args.features.to_config()?;
    let y = load_for(&args.audio, cfg.sr)?;
    let m = hark_features::feature_matrix(&y, &cfg, MatrixKind::LogMelDb)?;
    let title = args
        .audio
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opts = SpectrogramOptions {
        title,
        show_windows: args.windows,
        width: args.width,
        height: args.height,
    };
    hark_plot::render_spectrogram_png(&args.output, &m, &cfg, &opts)?;
    eprintln!("wrote {}", args.output.display());
    Ok(Outcome::Ok)
}
