//! `hark features`: the librosa-layout feature matrix of one file as CSV or .npy.
//!
//! Flow: outermost layer over hark-audio (decode) and hark-features (matrices).

use anyhow::{Context, Result};
use hark_features::MatrixKind;

use super::Outcome;
use crate::args::{FeaturesArgs, MatrixArg};

/// Decode `path` as mono at `sr`, printing decoder warnings.
pub(super) fn load_for(path: &std::path::Path, sr: u32) -> Result<Vec<f32>> {
    let audio = hark_audio::load_mono(path, Some(sr))
        .with_context(|| format!("cannot read {}", path.display()))?;
    for w in &audio.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(audio.samples)
}

/// `hark features`.
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
