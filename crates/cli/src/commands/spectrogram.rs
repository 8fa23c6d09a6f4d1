//! `hark spectrogram`: a labelled log-mel picture of one file; with `--model`, drawn with the
//! model's own feature settings and marked with the windows it classifies, skips as silent
//! and pads.
//!
//! Flow: outermost layer over hark-audio, hark-features, hark-infer (model file) and the
//! picture code.

use anyhow::Result;
use hark_features::{MatrixExtractor, MatrixKind, WindowExtractor};
use hark_plot::{SpectrogramOptions, WindowMark};

use super::Outcome;
use super::input::{load_for, load_model, shown};
use crate::args::SpectrogramArgs;

/// Rate of the speech preset (`hark --preset speech`), the one to suggest for recordings
/// between it and the rate drawn at.
const SPEECH_SR: u32 = 8000;

/// A warning when audio recorded at `native` Hz is drawn at `sr` Hz: nothing above `native / 2`
/// was recorded, so the top of the picture is an empty band. It suggests the preset (or rate)
/// that fits the recording; `for_model` when `sr` is a model's, which cannot be changed here.
pub fn upsampling_warning(native: u32, sr: u32, for_model: bool) -> Option<String> {
    if native >= sr {
        return None;
    }
    let fits = if native >= SPEECH_SR {
        format!("`--preset speech` ({SPEECH_SR} Hz)")
    } else {
        format!("`--sr {native}`")
    };
    let advice = if for_model {
        format!("the model listens at {sr} Hz; for such recordings train one with {fits}")
    } else {
        format!("draw it with {fits}")
    };
    Some(format!(
        "{native} Hz audio upsampled to {sr} Hz: nothing above {} Hz was recorded, so the top of the picture is an empty band; {advice}",
        native / 2
    ))
}

/// `hark spectrogram`.
pub fn spectrogram(args: &SpectrogramArgs) -> Result<Outcome> {
    let model = args
        .model_file
        .as_deref()
        .map(|p| load_model(p, "--model"))
        .transpose()?;
    let cfg = match &model {
        Some(f) => f.meta.features.clone(),
        None => args.features.to_config()?,
    };
    let loaded = load_for(&args.audio, cfg.sr)?;
    if let Some(w) = upsampling_warning(loaded.native_sr, cfg.sr, model.is_some()) {
        eprintln!("warning: {}: {w}", shown(&args.audio));
    }
    let mut y = loaded.audio.samples;
    let mut marks = Vec::new();
    let mut padded_from_s = None;
    if model.is_some() {
        // Exactly the windows the model's extractor gives `hark predict`.
        let windows = WindowExtractor::new(&cfg)?.windows(&y);
        marks = windows
            .iter()
            .map(|w| WindowMark {
                start_frame: w.start_frame,
                silent: w.silent,
            })
            .collect();
        let min = cfg.min_window_samples();
        if y.len() < min {
            padded_from_s = Some(y.len() as f64 / f64::from(cfg.sr));
            y.resize(min, 0.0);
        }
    }
    let m = MatrixExtractor::new(&cfg)?.compute_parallel(
        &y,
        MatrixKind::LogMelDb,
        rayon::current_num_threads(),
    )?;
    let name = args
        .audio
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown(&args.audio));
    let title = match &args.model_file {
        Some(p) => format!(
            "{name} as {} sees it",
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        None => name,
    };
    let opts = SpectrogramOptions {
        title,
        show_windows: args.windows,
        width: args.width,
        height: args.height,
        marks,
        padded_from_s,
    };
    hark_plot::render_spectrogram_png(&args.output, &m, &cfg, &opts)?;
    if !args.quiet {
        let skipped = opts.marks.iter().filter(|w| w.silent).count();
        let windows = if model.is_some() {
            format!(
                "; {} windows classified, {skipped} skipped as silent",
                opts.marks.len() - skipped
            )
        } else {
            String::new()
        };
        eprintln!("wrote {}{windows}", args.output.display());
    }
    Ok(Outcome::Ok)
}
