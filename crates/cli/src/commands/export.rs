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
            "cannot tell the export format from {}: name it *.onnx or give --format",
            path.display()
        ),
    }
}
