//! `hark predict MODEL FILES...`: the clip outcome (a class, `unknown` or `silent`) and its
//! probability per file, using only what the model file carries (feature settings, classes,
//! decision settings). Audio may come from standard input (`-`); JSON probabilities are
//! rounded to 6 digits.
//!
//! Flow: predict stage: audio -> features -> model -> clip decision.

use std::io::Write;

use anyhow::Result;
use hark_features::{Window, WindowExtractor};
use hark_infer::{ClipDecision, InputStats, Predictor};

use super::Outcome;
use super::common::aggregation;
use crate::args::PredictArgs;

/// `hark predict`: a bad file is reported and the rest still classified (exit code 1).
pub fn predict(args: &PredictArgs) -> Result<Outcome> {
    let file = super::input::load_model(&args.model, "the first argument of `hark predict`")?;
    let predictor = Predictor::new(&file)?;
    let cfg = file.meta.features.clone();
    let mut decision = file.meta.decision;
    if let Some(a) = args.aggregation {
        let (d, warning) = decision.with_aggregation(aggregation(a));
        decision = d;
        if let (Some(w), None) = (warning, args.threshold) {
            eprintln!("warning: {w}");
        }
    }
    if let Some(t) = args.threshold {
        decision = decision.with_threshold(Some(t))?;
    }
    let classes = &file.meta.class_names;
    let mut extractor = WindowExtractor::new(&cfg)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0usize;
    let mut buf = Vec::new();
    for path in &args.files {
        let result = (|| -> Result<ClipDecision> {
            let loaded = super::input::decode(path, cfg.sr)?;
            let audio = loaded.audio;
            for w in &audio.warnings {
                eprintln!("warning: {}: {w}", super::input::shown(path));
            }
            let windows = extractor.windows(&audio.samples);
            if let Some(profile) = &file.meta.input_profile {
                let stats = input_stats(loaded.native_sr, &audio.samples, cfg.sr, &windows);
                for w in profile.check(&stats, cfg.sr) {
                    eprintln!("warning: {}: {w}", super::input::shown(path));
                }
            }
            if windows.is_empty() {
                anyhow::bail!(
                    "too short: {} samples at {} Hz make no {}-frame analysis window",
                    audio.samples.len(),
                    cfg.sr,
                    cfg.window_frames
                );
            }
            Ok(predictor.decide_clip(&windows, &decision, &mut buf)?)
        })();
        match result {
            Ok(ClipDecision {
                decision: d,
                probs: clip,
                windows: n_windows,
            }) => {
                let name = d.outcome().name(classes);
                let p = d.probability;
                if args.json {
                    let probs: serde_json::Map<String, serde_json::Value> = classes
                        .iter()
                        .zip(&clip)
                        .map(|(c, &p)| (c.clone(), serde_json::json!(round6(p))))
                        .collect();
                    let line = serde_json::json!({
                        "file": path.display().to_string(),
                        "label": name,
                        "probability": round6(p),
                        "windows": n_windows,
                        "probabilities": probs,
                    });
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{}\t{name}\t{p:.3}", path.display())?;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e:#}", super::input::shown(path));
            }
        }
    }
    Ok(Outcome::from_failures(failed))
}

/// What the input profile check needs: the file's own rate, its duration and the median
/// level of its non-silent windows.
fn input_stats(native_sr: u32, samples: &[f32], sr: u32, windows: &[Window]) -> InputStats {
    let mut levels: Vec<f32> = windows
        .iter()
        .filter(|w| !w.silent)
        .map(|w| w.energy_dbfs)
        .collect();
    levels.sort_by(f32::total_cmp);
    InputStats {
        sample_rate: Some(native_sr),
        duration_s: samples.len() as f32 / sr as f32,
        level_dbfs: levels.get(levels.len() / 2).copied(),
    }
}

/// Digits kept of a probability in JSON: enough for any threshold, no float noise.
const JSON_DIGITS: i32 = 6;

/// `p` rounded to [`JSON_DIGITS`] decimal digits (as an f64, so JSON prints it short).
pub fn round6(p: f32) -> f64 {
    let scale = 10f64.powi(JSON_DIGITS);
    (f64::from(p) * scale).round() / scale
}
