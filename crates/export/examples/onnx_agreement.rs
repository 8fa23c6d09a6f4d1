//! Dump hark's windows and logits for real clips, for `bench/export/onnx_agreement.py` to
//! run through onnxruntime (export stage, measured on trained models; not a test).
//!
//! usage: onnx_agreement MODEL.hark OUT_DIR AUDIO...
//! Writes OUT_DIR/windows.f32 ([n, 1, mels, frames] little-endian), OUT_DIR/logits.f32
//! ([n, classes], hark's plan engine) and OUT_DIR/windows.json (shape, and each window's clip).

use std::path::{Path, PathBuf};

use hark_features::WindowExtractor;
use hark_infer::{ModelFile, PlanEngine};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model, out, clips @ ..] = args.as_slice() else {
        return Err("usage: onnx_agreement MODEL.hark OUT_DIR AUDIO...".into());
    };
    let file = ModelFile::load(model)?;
    let cfg = &file.meta.features;
    let engine = PlanEngine::new(&file.meta.plan()?, &file.weights)?;
    let k = file.meta.class_names.len();
    let mut ex = WindowExtractor::new(cfg)?;
    let mut ws = engine.workspace();
    let (mut windows, mut logits, mut clip_of) = (Vec::new(), Vec::new(), Vec::new());
    let mut y = vec![0.0; k];
    for (c, path) in clips.iter().enumerate() {
        let audio = hark_audio::load_mono(path, Some(cfg.sr))?;
        for w in ex.windows(&audio.samples).into_iter().filter(|w| !w.silent) {
            engine.logits_into(&w.values, &mut ws, &mut y);
            windows.extend(w.values.iter().flat_map(|v| v.to_le_bytes()));
            logits.extend(y.iter().flat_map(|v| v.to_le_bytes()));
            clip_of.push(c);
        }
    }
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("windows.f32"), windows)?;
    std::fs::write(out.join("logits.f32"), logits)?;
    let labels: Vec<String> = clips.iter().map(|p| label_of(p)).collect();
    let info = serde_json::json!({
        "mels": cfg.n_mels, "frames": cfg.window_frames, "classes": file.meta.class_names,
        "clip_of_window": clip_of, "clip_labels": labels,
    });
    std::fs::write(out.join("windows.json"), info.to_string())?;
    eprintln!("{} windows of {} clips", clip_of.len(), clips.len());
    Ok(())
}

/// The class of a clip in a folder-per-class layout: its folder's name.
fn label_of(p: &Path) -> String {
    p.parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
