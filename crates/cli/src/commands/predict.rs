//! `hark predict MODEL FILES...`: the clip label and its probability (or "unknown") per file,
//! using only what the model file carries (feature settings, classes, decision settings).
//!
//! Flow: predict stage: audio -> features -> model -> clip decision.

use std::io::Write;

use anyhow::{Context, Result};
use hark_features::WindowExtractor;
use hark_train::{ModelFile, Predictor};

use super::Outcome;
use super::train::aggregation;
use crate::args::PredictArgs;
use crate::pipeline::predict_windows;

/// `hark predict`: a bad file is reported and the rest still classified (exit code 1).
pub fn predict(args: &PredictArgs) -> Result<Outcome> {
    let file = ModelFile::load(&args.model)
        .with_context(|| format!("cannot load model {}", args.model.display()))?;
    let predictor = Predictor::new(&file)?;
    let cfg = file.meta.features.clone();
    let mut decision = file.meta.decision;
    if let Some(t) = args.threshold {
        decision.threshold = Some(t);
    }
    if let Some(a) = args.aggregation {
        decision.aggregation = aggregation(a);
    }
    let classes = &file.meta.class_names;
    let mut extractor = WindowExtractor::new(&cfg)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0usize;
    let mut buf = Vec::new();
    for path in &args.files {
        let result = (|| -> Result<(Option<usize>, f32, Vec<f32>, usize)> {
            let audio = hark_audio::load_mono(path, Some(cfg.sr))?;
            let windows = hark_data::select_windows(extractor.windows(&audio.samples));
            let (clip, d) = predict_windows(&predictor, &windows, &decision, &mut buf)?;
            Ok((d.label, d.probability, clip, windows.len()))
        })();
        match result {
            Ok((label, p, clip, n_windows)) => {
                let name = label.map(|i| classes[i].as_str()).unwrap_or("unknown");
                if args.json {
                    let probs: serde_json::Map<String, serde_json::Value> = classes
                        .iter()
                        .zip(&clip)
                        .map(|(c, p)| (c.clone(), serde_json::json!(p)))
                        .collect();
                    let line = serde_json::json!({
                        "file": path.display().to_string(),
                        "label": name,
                        "probability": p,
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
