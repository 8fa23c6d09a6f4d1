//! `hark info`: what an audio file is (format, codec, rate, channels, duration), or what a
//! model file holds (architecture, cost, classes, features, decision, training).
//!
//! Audio may come from standard input (`-`). Names are spelled as the flags spell them
//! (`sbcnn`, `mean-std`); "samples" are audio samples, "frames" STFT frames.
//!
//! Flow: outermost layer over hark-audio (probe) and hark-infer (model file).

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use hark_infer::ModelFile;

use super::Outcome;
use super::input::shown;
use crate::args::InfoArgs;

fn is_model_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hark"))
}

/// `hark info`: one block per file; a bad file is reported and the rest still processed.
pub fn info(args: &InfoArgs) -> Result<Outcome> {
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in &args.files {
        let text = if is_model_file(path) {
            model_info(path)
        } else {
            audio_info(path)
        };
        match text {
            Ok(text) => write!(out, "{text}")?,
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e:#}", shown(path));
            }
        }
    }
    Ok(Outcome::from_failures(failed))
}

fn audio_info(path: &Path) -> Result<String> {
    let i = super::input::probe(path)?;
    let bits = i
        .bits_per_sample
        .map(|b| format!("{b}-bit "))
        .unwrap_or_default();
    let dur = i
        .duration
        .map(|d| format!("{d:.3} s"))
        .unwrap_or_else(|| "unknown".into());
    let samples = i
        .frames
        .map(|f| format!(" ({f} samples per channel)"))
        .unwrap_or_default();
    Ok(format!(
        "{}\n  format:   {}\n  codec:    {bits}{}\n  rate:     {} Hz\n  channels: {}\n  duration: {dur}{samples}\n",
        shown(path),
        i.container,
        i.codec,
        i.sample_rate,
        i.channels
    ))
}

/// `hark info model.hark`.
pub fn model_info(path: &Path) -> Result<String> {
    let file = ModelFile::load(path)?;
    let m = &file.meta;
    let f = &m.features;
    let [_, n_mels, frames] = m.input_shape;
    let plan = m.plan()?;
    let s = hark_model::summary_of(&plan);
    let mut out = format!("{}\n", path.display());
    out += &format!(
        "  architecture: {} (input 1 x {n_mels} x {frames}, {} classes, {} layers, embedding {} values)\n",
        m.model.arch_name(),
        m.class_names.len(),
        plan.layers.len(),
        plan.embedding_dim()
    );
    out += &format!(
        "  parameters:   {} trainable, {} buffers\n",
        s.params, s.buffers
    );
    out += &format!("  compute:      {} MACs per window\n", s.macs_per_window);
    out += &format!(
        "  weights:      {} bytes as f32 ({:.1} KiB); largest activation {} values\n",
        s.weight_bytes,
        s.weight_bytes as f64 / 1024.0,
        s.max_activation
    );
    out += &format!("  classes:      {}\n", m.class_names.join(", "));
    out += &format!(
        "  features:     sr {} Hz, n_fft {}, hop_length {}, n_mels {}, fmin {}, fmax {}, {} mel scale\n",
        f.sr,
        f.n_fft,
        f.hop_length,
        f.n_mels,
        f.fmin,
        f.fmax_hz(),
        f.mel_scale
    );
    out += &format!(
        "  windows:      {} frames ({:.3} s), overlap {}, normalisation {}, silence gates {} and {}\n",
        f.window_frames,
        f.window_seconds(),
        f.overlap,
        f.normalization,
        f.silence_threshold_db
            .map(|t| format!("{t} dBFS"))
            .unwrap_or_else(|| "off".into()),
        f.silence_relative_db
            .map(|r| format!("{r} dB below the running peak"))
            .unwrap_or_else(|| "no relative gate".into())
    );
    let d = &m.decision;
    out += &format!(
        "  decision:     {} pooling, unknown below {}\n",
        d.aggregation,
        match (d.threshold, d.tuned_for) {
            (Some(t), Some(a)) => format!("{t:.4} (tuned on validation clips for {a} pooling)"),
            (Some(t), None) => format!("{t:.4} (set by hand)"),
            (None, _) => "never".into(),
        }
    );
    let t = &m.training;
    out += &format!(
        "  training:     {} on {}, {} epochs (best {}), val window acc {}, seed {}, hark {}\n",
        t.date,
        t.dataset,
        t.epochs,
        t.best_epoch,
        t.val_acc
            .map(|a| format!("{:.2}%", a * 100.0))
            .unwrap_or_else(|| "-".into()),
        t.seed,
        t.hark_version
    );
    let h = &m.held_out;
    if h.is_known() {
        out += &format!(
            "  held out:     {} ({} training, {} validation, {} test clips; dataset fingerprint {})\n",
            h.protocol,
            h.trained.len(),
            h.validated.len(),
            h.tested.len(),
            h.dataset_fingerprint
        );
    } else {
        out += "  held out:     not recorded (model file format 1)\n";
    }
    if t.silent_clips > 0 {
        out += &format!(
            "  silent clips: {} left out of training (no window above the silence gate)\n",
            t.silent_clips
        );
    }
    Ok(out)
}
