//! The C export of a trained model vs hark on real clips (export stage, measured; not a
//! test): each clip streamed through the generated library compiled with `gcc -O2`, and
//! through hark's streaming extractor and plan engine.
//!
//! usage: c_agreement MODEL.hark WORK_DIR [--int8 CALIBRATION_LIST] AUDIO...
//! (class = the clip's folder name; CALIBRATION_LIST: one training clip per line).
//! Prints one JSON object: windows, largest log-mel-window and logit differences, window
//! and clip decision agreement (clip = mean of its windows' probabilities) and accuracy.
//! With `--int8`: the network in int8, its logits compared bit for bit with the integer
//! reference (on the C library's own window), and its decisions with float32 hark's.

use std::path::{Path, PathBuf};
use std::process::Command;

use hark_export::c::{HEADER_NAME, SOURCE_NAME, to_c, to_c_int8};
use hark_export::int8::{Int8Network, Reservoir, quantize};
use hark_features::StreamingExtractor;
use hark_infer::{ModelFile, PlanEngine};

const DRIVER: &str = r#"
#include "hark_model.h"
#include <stdio.h>
/* driver IN.f32 OUT.f32: the logits of every non-silent window (silent: skipped). */
int main(int argc, char **argv) {
  static float buf[4096];
  FILE *in = argc == 3 ? fopen(argv[1], "rb") : NULL, *out = argc == 3 ? fopen(argv[2], "wb") : NULL;
  size_t n;
  if (!in || !out) return 2;
  hark_init();
  while ((n = fread(buf, sizeof(float), 4096, in)) > 0) {
    const float *x = buf;
    while (n > 0) {
      hark_decision d;
      size_t used = hark_push_samples(x, n);
      x += used; n -= used;
      if (hark_poll_decision(&d) && !d.silent) {
        fwrite(hark_window(), sizeof(float), HARK_N_MELS * HARK_WINDOW_FRAMES, out);
        fwrite(d.logits, sizeof(float), HARK_N_CLASSES, out);
      }
    }
  }
  return fclose(out) == 0 ? 0 : 1;
}
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [model, dir, rest @ ..] = args.as_slice() else {
        return Err("usage: c_agreement MODEL.hark WORK_DIR [--int8 LIST] AUDIO...".into());
    };
    let file = ModelFile::load(model)?;
    let cfg = &file.meta.features;
    let engine = PlanEngine::new(&file.meta.plan()?, &file.weights)?;
    let (int8, clips) = match rest {
        [flag, list, clips @ ..] if flag.as_os_str() == "--int8" => {
            (Some(calibrated(&file, &engine, list)?), clips)
        }
        clips => (None, clips),
    };
    let lib = match &int8 {
        None => to_c(&file)?,
        Some(q) => to_c_int8(&file, q)?,
    };
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(HEADER_NAME), &lib.header)?;
    std::fs::write(dir.join(SOURCE_NAME), &lib.source)?;
    std::fs::write(dir.join("driver.c"), DRIVER)?;
    let ok = Command::new("gcc")
        .args([
            "-std=c99",
            "-O2",
            SOURCE_NAME,
            "driver.c",
            "-o",
            "driver",
            "-lm",
        ])
        .current_dir(dir)
        .status()?
        .success();
    if !ok {
        return Err("gcc failed".into());
    }
    let (k, n) = (file.meta.class_names.len(), cfg.n_mels * cfg.window_frames);
    let mut ws = engine.workspace();
    let (mut windows, mut max_value, mut max_logit) = (0usize, 0f32, 0f32);
    let (mut same_window, mut same_clip, mut right_c, mut right_h) = (0, 0, 0, 0);
    let (mut scored, mut bit_exact) = (0, 0);
    let mut qws = int8.as_ref().map(Int8Network::workspace);
    let mut reference = vec![0.0; k];
    for clip in clips {
        let y = hark_audio::load_mono(clip, Some(cfg.sr))?.samples;
        let raw: Vec<u8> = y.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(dir.join("in.f32"), raw)?;
        if !Command::new(dir.join("driver"))
            .args(["in.f32", "out.f32"])
            .current_dir(dir)
            .status()?
            .success()
        {
            return Err(format!("driver failed on {}", clip.display()).into());
        }
        let c: Vec<f32> = std::fs::read(dir.join("out.f32"))?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut ex = StreamingExtractor::new(cfg)?;
        let mut ws_h = Vec::new();
        ex.push(&y, &mut ws_h);
        let hark: Vec<_> = ws_h.into_iter().filter(|w| !w.silent).collect();
        if c.len() != hark.len() * (n + k) {
            return Err(format!("{}: window count differs", clip.display()).into());
        }
        let (mut mean_c, mut mean_h) = (vec![0.0f64; k], vec![0.0f64; k]);
        let mut logits = vec![0.0; k];
        for (rec, w) in c.chunks_exact(n + k).zip(&hark) {
            engine.logits_into(&w.values, &mut ws, &mut logits);
            for (a, b) in rec[..n].iter().zip(&w.values) {
                max_value = max_value.max((a - b).abs());
            }
            if let (Some(q), Some(qws)) = (&int8, &mut qws) {
                q.logits_into(&rec[..n], qws, &mut reference);
                let same = rec[n..]
                    .iter()
                    .zip(&reference)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                bit_exact += usize::from(same);
            }
            for (a, b) in rec[n..].iter().zip(&logits) {
                max_logit = max_logit.max((a - b).abs() / b.abs().max(1.0));
            }
            same_window += usize::from(argmax(&rec[n..]) == argmax(&logits));
            add_softmax(&mut mean_c, &rec[n..]);
            add_softmax(&mut mean_h, &logits);
            windows += 1;
        }
        if hark.is_empty() {
            continue;
        }
        scored += 1;
        let (dc, dh) = (argmax64(&mean_c), argmax64(&mean_h));
        same_clip += usize::from(dc == dh);
        let truth = file
            .meta
            .class_names
            .iter()
            .position(|c| *c == label_of(clip));
        right_c += usize::from(Some(dc) == truth);
        right_h += usize::from(Some(dh) == truth);
    }
    let frac = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "clips": scored, "windows": windows,
            "max_abs_window_value_diff": max_value, "max_rel_logit_diff": max_logit,
            "window_decision_agreement": frac(same_window, windows),
            "clip_decision_agreement": frac(same_clip, scored),
            "clip_accuracy_c": frac(right_c, scored), "clip_accuracy_hark": frac(right_h, scored),
            "budget": lib.budget,
            "int8_windows_bit_exact_with_reference": int8.as_ref().map(|_| bit_exact),
            "calibration_windows": int8.as_ref().map(|q| q.calibration_windows),
        })
    );
    Ok(())
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len())
        .max_by(|&i, &j| v[i].total_cmp(&v[j]))
        .unwrap_or(0)
}

fn argmax64(v: &[f64]) -> usize {
    (0..v.len())
        .max_by(|&i, &j| v[i].total_cmp(&v[j]))
        .unwrap_or(0)
}

fn add_softmax(acc: &mut [f64], logits: &[f32]) {
    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = logits.iter().map(|&l| (l as f64 - top).exp()).collect();
    let s: f64 = e.iter().sum();
    for (a, v) in acc.iter_mut().zip(e) {
        *a += v / s;
    }
}

fn label_of(p: &Path) -> String {
    p.parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The int8 network calibrated on the clips listed in `list`: 300 of their non-silent
/// windows, drawn by the seeded sample `hark export --int8 --calibrate` uses (here on whole
/// decoded clips, where the CLI streams them).
fn calibrated(
    file: &ModelFile,
    engine: &PlanEngine,
    list: &Path,
) -> Result<Int8Network, Box<dyn std::error::Error>> {
    let cfg = &file.meta.features;
    let mut sample = Reservoir::new(300, cfg.n_mels * cfg.window_frames);
    let mut paths: Vec<PathBuf> = std::fs::read_to_string(list)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect();
    paths.sort(); // the order `hark export --calibrate` reads files in
    for p in &paths {
        let y = hark_audio::load_mono(p, Some(cfg.sr))?.samples;
        let mut ex = StreamingExtractor::new(cfg)?;
        let mut windows = Vec::new();
        ex.push(&y, &mut windows);
        ex.finish(&mut windows);
        for w in windows.iter().filter(|w| !w.silent) {
            sample.push(&w.values);
        }
    }
    Ok(quantize(engine, sample.windows())?)
}
