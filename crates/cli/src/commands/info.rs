//! `hark info`: what an audio file is (format, codec, rate, channels, duration), what a model
//! file holds (architecture, cost, classes, features, decision, training), or what a dataset
//! holds (a folder or a CSV manifest, checked as `hark check` does). Text blocks, or with
//! `--json` one JSON object per input (JSON lines), each with `kind` and `path`.
//!
//! Audio may come from standard input (`-`). Names are spelled as the flags spell them
//! (`sbcnn`, `mean-std`); "samples" are audio samples, "frames" STFT frames.
//!
//! Flow: outermost layer over hark-audio (probe), hark-data (dataset check) and hark-infer
//! (model file).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use hark_export::c::{Budget, CODE_RESERVE_BYTES, Device, Fit, STACK_RESERVE_BYTES, fit};
use hark_infer::ModelFile;
use serde_json::{Value, json};

use super::Outcome;
use super::check::{dataset_check, is_dataset, summary_on_stderr, table, to_json};
use super::input::shown;
use crate::args::{InfoArgs, Target};

fn is_model_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hark"))
}

/// `x` rounded to `digits` decimals, for JSON that people also read (`0.95` rather than the
/// `0.949999988079071` an `f32` widens to).
fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// `hark info`: one block (or JSON line) per input; a bad input is reported and the rest still
/// processed. A dataset with unreadable files or skipped entries counts as a failed input.
pub fn info(args: &InfoArgs) -> Result<Outcome> {
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in &args.files {
        let text = if is_dataset(path) {
            dataset_check(path, &args.check).and_then(|r| {
                summary_on_stderr(path, &r);
                failed += usize::from(r.has_failures());
                if args.json {
                    Ok(format!("{}\n", to_json(path, &r)?))
                } else {
                    Ok(table(&r))
                }
            })
        } else if args.json {
            let value = if is_model_file(path) {
                model_json(path, args.target)
            } else {
                audio_json(path)
            };
            value.map(|v| format!("{v}\n"))
        } else if is_model_file(path) {
            model_info(path, args.target)
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

/// `hark info --json clip.wav`: the header, duration in seconds to the microsecond.
fn audio_json(path: &Path) -> Result<Value> {
    let i = super::input::probe(path)?;
    let warnings: Vec<String> = i.warnings.iter().map(ToString::to_string).collect();
    Ok(json!({
        "kind": "audio",
        "path": path.display().to_string(),
        "container": i.container,
        "codec": i.codec,
        "sample_rate": i.sample_rate,
        "channels": i.channels,
        "bits_per_sample": i.bits_per_sample,
        "samples_per_channel": i.frames,
        "duration": i.duration.map(|d| round(d, 6)),
        "warnings": warnings,
    }))
}

/// `hark info --json model.hark`: what the text block shows, as fields.
fn model_json(path: &Path, target: Option<Target>) -> Result<Value> {
    let file = ModelFile::load(path)?;
    let device = target.map(|t| device_fit(&file, t)).transpose()?;
    let m = &file.meta;
    let plan = m.plan()?;
    let s = hark_model::summary_of(&plan);
    let (d, t, h) = (&m.decision, &m.training, &m.held_out);
    Ok(json!({
        "kind": "model",
        "path": path.display().to_string(),
        "architecture": m.model.arch_name(),
        "input_shape": m.input_shape,
        "classes": m.class_names,
        "layers": plan.layers.len(),
        "layer_names": plan.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        "embedding_dim": plan.embedding_dim(),
        "params": s.params,
        "buffers": s.buffers,
        "macs_per_window": s.macs_per_window,
        "weight_bytes": s.weight_bytes,
        "max_activation": s.max_activation,
        "features": m.features,
        "decision": {
            "aggregation": d.aggregation.to_string(),
            "threshold": d.threshold.map(|x| round(f64::from(x), 6)),
            "tuned_for": d.tuned_for.map(|a| a.to_string()),
        },
        "training": {
            "date": t.date,
            "dataset": t.dataset,
            "epochs": t.epochs,
            "best_epoch": t.best_epoch,
            "val_acc": t.val_acc.map(|x| round(f64::from(x), 4)),
            "seed": t.seed,
            "hark_version": t.hark_version,
            "silent_clips": t.silent_clips,
            "augment": augment_spec(t),
        },
        "input_profile": m.input_profile,
        "target": device.map(|(d, (b, f), int8)| json!({
            "device": d, "c_float32": b, "fit": f,
            "c_int8": int8.as_ref().ok().map(|(b, _)| b),
            "fit_int8": int8.as_ref().ok().map(|(_, f)| f),
            "int8_unavailable": int8.as_ref().err(),
        })),
        "held_out": h.is_known().then(|| json!({
            "protocol": h.protocol,
            "trained": h.trained.len(),
            "validated": h.validated.len(),
            "tested": h.tested.len(),
            "test_folds": h.test_folds,
            "validation_folds": h.validation_folds,
            "dataset_fingerprint": h.dataset_fingerprint,
        })),
    }))
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

/// The C export's budgets for `file` on `target`'s device: float32, then int8 (or why int8
/// cannot quantise this model).
#[allow(clippy::type_complexity)]
fn device_fit(
    file: &ModelFile,
    target: Target,
) -> Result<(Device, (Budget, Fit), Result<(Budget, Fit), String>)> {
    let device = match target {
        Target::CortexM4 => Device::cortex_m4(),
    };
    let budget = hark_export::c::to_c(file)
        .context("cannot lay the model out as a C library for the device")?
        .budget;
    let f = fit(&budget, &device);
    let int8 = hark_export::c::int8_budget(file)
        .map(|b| {
            let f = fit(&b, &device);
            (b, f)
        })
        .map_err(|e| e.to_string());
    Ok((device, (budget, f), int8))
}

/// The `target:` lines of `hark info --target`.
fn target_text(file: &ModelFile, target: Target) -> Result<String> {
    let (d, (b, f), int8) = device_fit(file, target)?;
    let kib = |x: usize| x as f64 / 1024.0;
    let int8_line = match int8 {
        Ok((b, f)) => format!(
            "  {:14}C export in int8 (hark export --int8): {}: flash {:.1} KiB ({:.1} KiB weights), RAM {:.1} KiB\n",
            "",
            if f.fits {
                "fits".to_string()
            } else {
                format!("does NOT fit: {}", f.problems.join(", "))
            },
            kib(f.flash_bytes),
            kib(b.weight_bytes),
            kib(f.ram_bytes),
        ),
        Err(why) => format!("  {:14}C export in int8: not available: {why}\n", ""),
    };
    let verdict = if f.fits {
        "fits".to_string()
    } else {
        format!("does NOT fit: {}", f.problems.join(", "))
    };
    Ok(format!(
        "  target:       {} ({:.0} KiB flash, {:.0} KiB RAM), C export in float32: {verdict}\n\
         \x20               flash {:.1} KiB = {:.1} KiB weights + {:.1} KiB front-end tables + {:.0} KiB code reserve\n\
         \x20               RAM {:.1} KiB = {:.1} KiB static buffers + {:.0} KiB stack reserve\n\
         \x20               {} network MACs per window ({:.2} windows/s), {} front-end MACs per frame ({:.1} frames/s): {:.2} M MACs per second of audio\n",
        d.name,
        kib(d.flash_bytes),
        kib(d.ram_bytes),
        kib(f.flash_bytes),
        kib(b.weight_bytes),
        kib(b.table_bytes),
        kib(CODE_RESERVE_BYTES),
        kib(f.ram_bytes),
        kib(b.ram_bytes),
        kib(STACK_RESERVE_BYTES),
        b.network_macs,
        b.windows_per_second,
        b.frontend_macs_per_frame,
        b.frames_per_second,
        b.macs_per_second() / 1e6,
    ) + &int8_line)
}

/// `hark info model.hark`.
pub fn model_info(path: &Path, target: Option<Target>) -> Result<String> {
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
    if let Some(spec) = augment_spec(t) {
        out += &format!("  augmentation: {spec}\n");
    }
    if let Some(frozen) = frozen_layers(t).filter(|f| !f.is_empty()) {
        // The layers each name or prefix covered (as `Classifier::freeze` matched them).
        let covered: Vec<&str> = plan
            .layers
            .iter()
            .map(|l| l.name.as_str())
            .filter(|n| {
                frozen.iter().any(|f| {
                    n == f
                        || n.strip_prefix(f.as_str())
                            .is_some_and(|r| r.starts_with('.'))
                })
            })
            .collect();
        out += &format!("  frozen:       {}\n", covered.join(", "));
    }
    let names: Vec<&str> = plan.layers.iter().map(|l| l.name.as_str()).collect();
    out += &format!("  layers:       {}\n", names.join(", "));
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
    match &m.input_profile {
        Some(p) => {
            let spread = |s: &Option<hark_infer::Spread>, unit: &str| {
                s.map(|s| {
                    format!(
                        "{:.2} to {:.2} {unit} (median {:.2})",
                        s.p05, s.p95, s.median
                    )
                })
                .unwrap_or_else(|| "-".into())
            };
            out += &format!(
                "  inputs:       {} training clips recorded at {} Hz; {} long; window level {} (5th to 95th percentile)\n",
                p.clips,
                p.sample_rates
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                spread(&p.duration_s, "s"),
                spread(&p.level_dbfs, "dBFS"),
            );
        }
        None => {
            out += "  inputs:       not recorded (model file before format 3): inputs are not checked\n"
        }
    }
    if t.silent_clips > 0 {
        out += &format!(
            "  silent clips: {} left out of training (no window above the silence gate)\n",
            t.silent_clips
        );
    }
    if let Some(target) = target {
        out += &target_text(&file, target)
            .unwrap_or_else(|e| format!("  target:       cannot export as C: {e:#}\n"));
    }
    Ok(out)
}

/// The layers `--freeze` kept as they started; `None` when training settings are not recorded.
fn frozen_layers(t: &hark_infer::TrainingSummary) -> Option<Vec<String>> {
    let cfg = t.train_config.as_ref()?;
    let train: hark_train::TrainConfig = serde_json::from_value(cfg.clone()).ok()?;
    Some(train.freeze)
}

/// The augmentation a model was trained with, in `--augment` spelling (`none` when off);
/// `None` for model files whose training settings are not recorded.
fn augment_spec(t: &hark_infer::TrainingSummary) -> Option<String> {
    let cfg = t.train_config.as_ref()?;
    let train: hark_train::TrainConfig = serde_json::from_value(cfg.clone()).ok()?;
    Some(train.augment.to_spec())
}
