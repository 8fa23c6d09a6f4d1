//! `hark export`: a trained model as a file for other runtimes (export stage).

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use anyhow::{Context, Result, bail};
use hark_export::int8::Reservoir;
use hark_features::StreamingExtractor;
use hark_infer::ModelFile;

use super::Outcome;
use super::input::{is_dash, list_inputs, load_model, shown, stream_input};
use crate::args::{ExportArgs, ExportFormat};
use crate::progress::{PredictBar, stop_flag};

pub fn export(args: &ExportArgs) -> Result<Outcome> {
    let format = match args.format {
        Some(f) => f,
        None => format_from_extension(&args.output)?,
    };
    let file = load_model(&args.model, "the first argument of `hark export`")?;
    if args.int8 && format != ExportFormat::C {
        bail!("--int8 quantises the C export: add --format c -o FOLDER");
    }
    let bytes = match format {
        ExportFormat::Onnx => hark_export::onnx::to_onnx(&file)
            .with_context(|| format!("cannot export {} as ONNX", args.model.display()))?,
        ExportFormat::C => return write_c(args, &file),
    };
    if is_dash(&args.output) {
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)?;
        out.flush()?;
    } else {
        hark_io::write_atomic(&args.output, &bytes)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        eprintln!(
            "wrote {} ({} KiB, {} classes, {} x {} windows)",
            args.output.display(),
            bytes.len().div_ceil(1024),
            file.meta.class_names.len(),
            file.meta.input_shape[1],
            file.meta.input_shape[2],
        );
    }
    Ok(Outcome::Ok)
}

fn format_from_extension(path: &Path) -> Result<ExportFormat> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("onnx") => Ok(ExportFormat::Onnx),
        _ => bail!(
            "cannot tell the export format from {}: name it *.onnx, or give --format onnx \
             (one file) or --format c (a folder)",
            path.display()
        ),
    }
}

/// `--format c`: `hark_model.h` and `hark_model.c` in the output folder, and the budget.
fn write_c(args: &ExportArgs, file: &ModelFile) -> Result<Outcome> {
    use hark_export::c::{HEADER_NAME, SOURCE_NAME, to_c, to_c_int8};
    if is_dash(&args.output) {
        bail!("--format c writes two files: give a folder with -o, not `-`");
    }
    // Calibration files that could not be read (reported; exit code 1 after writing).
    let mut failures = 0;
    let lib = if args.int8 {
        let engine = hark_infer::PlanEngine::new(&file.meta.plan()?, &file.weights)?;
        let (windows, failed) = calibration(file, &args.calibrate, args.calibration_windows)?;
        failures = failed;
        if stop_flag().load(Ordering::SeqCst) {
            return Ok(Outcome::Interrupted);
        }
        let net = hark_export::int8::quantize(&engine, &windows)
            .with_context(|| format!("cannot quantise {}", args.model.display()))?;
        to_c_int8(file, &net)
    } else {
        to_c(file)
    }
    .with_context(|| format!("cannot export {} as C", args.model.display()))?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    for (name, text) in [(HEADER_NAME, &lib.header), (SOURCE_NAME, &lib.source)] {
        let path = args.output.join(name);
        hark_io::write_atomic(&path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let b = &lib.budget;
    eprintln!(
        "wrote {} and {} (C99, {}): flash {} KiB of data \
         ({} KiB weights + {} KiB tables; add code), RAM {} KiB static (add stack), \
         {} network MACs per window, {:.1} M MACs per second of audio",
        args.output.join(HEADER_NAME).display(),
        args.output.join(SOURCE_NAME).display(),
        b.precision,
        kib(b.flash_bytes()),
        kib(b.weight_bytes),
        kib(b.table_bytes),
        kib(b.ram_bytes),
        b.network_macs,
        b.macs_per_second() / 1e6,
    );
    Ok(Outcome::from_failures(failures))
}

fn kib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

/// Up to `n` non-silent windows of `paths` (the model's own features), a seeded uniform
/// sample ([`hark_export::int8::Reservoir`]): memory holds `n` windows however much audio
/// there is. A file that cannot be read is reported and skipped (the windows it gave
/// before the error are kept: they are real audio); returns the windows and how many files
/// failed.
fn calibration(file: &ModelFile, paths: &[PathBuf], n: usize) -> Result<(Vec<f32>, usize)> {
    let cfg = &file.meta.features;
    let (inputs, mut failed) = list_inputs(paths)?;
    let mut sample = Reservoir::new(n, cfg.n_mels * cfg.window_frames);
    let mut read = 0usize;
    let bar = PredictBar::new(inputs.len(), false);
    for input in &inputs {
        if stop_flag().load(Ordering::SeqCst) {
            break;
        }
        let mut extractor = StreamingExtractor::new(cfg)?;
        let mut windows = Vec::new();
        let mut take = |windows: &mut Vec<hark_features::Window>| {
            for w in windows.drain(..).filter(|w| !w.silent) {
                sample.push(&w.values);
            }
        };
        let decoded = stream_input(&input.path, cfg.sr, |chunk| {
            extractor.push(chunk, &mut windows);
            take(&mut windows);
            bar.audio(chunk.len() as f64 / f64::from(cfg.sr));
            if stop_flag().load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        match decoded {
            Ok(summary) => {
                for w in &summary.warnings {
                    eprintln!("warning: {}: {w}", shown(&input.path));
                }
                if !summary.stopped {
                    extractor.finish(&mut windows);
                    take(&mut windows);
                    read += 1;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", shown(&input.path));
            }
        }
        bar.file_done();
    }
    bar.finish();
    if read == 0 && !stop_flag().load(Ordering::SeqCst) {
        bail!("--calibrate: no audio could be read (give the model's training audio)");
    }
    let kept = sample.windows().len() / (cfg.n_mels * cfg.window_frames).max(1);
    eprintln!(
        "calibrating int8 on {kept} of {} non-silent windows from {read} files",
        sample.seen()
    );
    Ok((sample.windows().to_vec(), failed))
}
