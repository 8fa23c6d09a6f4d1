//! `hark spectrogram`: a labelled log-mel picture of one file.
//!
//! Flow: outermost layer over hark-audio, hark-features and the picture code.

use anyhow::Result;
use hark_features::MatrixKind;
use hark_plot::SpectrogramOptions;

use super::Outcome;
use super::features::load_for;
use crate::args::SpectrogramArgs;

/// `hark spectrogram`.
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
