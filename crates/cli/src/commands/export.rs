//! `hark export`: a trained model as a file for other runtimes (export stage).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Outcome;
use super::input::{is_dash, load_model};
use crate::args::{ExportArgs, ExportFormat};

pub fn export(args: &ExportArgs) -> Result<Outcome> {
    let format = match args.format {
        Some(f) => f,
        None => format_from_extension(&args.output)?,
    };
    let file = load_model(&args.model, "the first argument of `hark export`")?;
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
fn write_c(args: &ExportArgs, file: &hark_infer::ModelFile) -> Result<Outcome> {
    use hark_export::c::{HEADER_NAME, SOURCE_NAME, to_c};
    if is_dash(&args.output) {
        bail!("--format c writes two files: give a folder with -o, not `-`");
    }
    let lib = to_c(file).with_context(|| format!("cannot export {} as C", args.model.display()))?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    for (name, text) in [(HEADER_NAME, &lib.header), (SOURCE_NAME, &lib.source)] {
        let path = args.output.join(name);
        hark_io::write_atomic(&path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let b = &lib.budget;
    eprintln!(
        "wrote {} and {} (C99, float32): flash {} KiB of data \
         ({} KiB weights + {} KiB tables; add code), RAM {} KiB static (add stack), \
         {} network MACs per window, {:.1} M MACs per second of audio",
        args.output.join(HEADER_NAME).display(),
        args.output.join(SOURCE_NAME).display(),
        kib(b.flash_bytes()),
        kib(b.weight_bytes),
        kib(b.table_bytes),
        kib(b.ram_bytes),
        b.network_macs,
        b.macs_per_second() / 1e6,
    );
    Ok(Outcome::Ok)
}

fn kib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}
