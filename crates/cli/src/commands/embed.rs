//! `hark embed MODEL PATHS... -o OUT.npy`: the model's embedding (its penultimate layer, as
//! [`hark_infer::Predictor::embed`]) of every analysis window, or mean-pooled per file, as a
//! float32 `.npy` with a CSV index beside it, for classical classifiers, clustering or search.
//!
//! Flow: predict stage: audio (decoded in chunks) -> the model's own features -> embedding
//! -> rows. Memory does not grow with a recording's length or the number of files: rows go
//! to temporary files as they come, and the `.npy` (header + rows) and then the index are
//! each published atomically at the end; a failing file adds no row, and Ctrl-C writes
//! nothing.

use std::io::{BufWriter, Seek, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use anyhow::{Context, Result, bail};
use hark_data::AudioInput;
use hark_features::{StreamingExtractor, Window};
use hark_infer::{ModelFile, Predictor};
use hark_io::AtomicFile;

use super::Outcome;
use crate::args::EmbedArgs;
use crate::progress::{PredictBar, stop_flag};

/// Windows embedded together.
const BATCH: usize = 64;

/// `hark embed`: a bad file is reported and skipped (exit code 1); the others are written.
pub fn embed(args: &EmbedArgs) -> Result<Outcome> {
    let file = super::input::load_model(&args.model, "the first argument of `hark embed`")?;
    if args.output.extension().and_then(|e| e.to_str()) != Some("npy") {
        bail!(
            "{}: embeddings are written as .npy (with a .csv index beside it); name the output *.npy",
            args.output.display()
        );
    }
    let predictor = Predictor::new(&file)?;
    let (inputs, mut failed) = super::input::list_inputs(&args.paths)?;

    let index_path = args.output.with_extension("csv");
    let dir = match args.output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut rows = Rows::new(&dir, predictor.embedding_dim())?;
    let header = if args.per_clip {
        "row,file,windows,duration_s"
    } else {
        "row,file,window,start_s,end_s"
    };
    let bar = PredictBar::new(inputs.len(), args.quiet);
    for input in &inputs {
        if stop_flag().load(Ordering::SeqCst) {
            break;
        }
        let mark = rows.mark()?;
        if let Err(e) = embed_one(&file, &predictor, input, args.per_clip, &mut rows, &bar) {
            rows.rollback(mark)?;
            if stop_flag().load(Ordering::SeqCst) {
                break; // interrupted, not a bad file
            }
            failed += 1;
            eprintln!("error: {}: {e:#}", super::input::shown(&input.path));
        }
        bar.file_done();
    }
    bar.finish();
    if stop_flag().load(Ordering::SeqCst) {
        return Ok(Outcome::Interrupted); // temporary files are dropped: nothing written
    }
    let (n, dim) = (rows.n, rows.dim);
    rows.publish(&args.output, &index_path, header)?;
    if !args.quiet {
        eprintln!(
            "wrote {} ({n} rows x {dim} values) and {}",
            args.output.display(),
            index_path.display()
        );
    }
    Ok(Outcome::from_failures(failed))
}

/// Rows written so far, in two temporary files: float32 values and their index lines. A
/// file that fails half-way is rolled back to where it began.
struct Rows {
    body: BufWriter<std::fs::File>,
    index: BufWriter<std::fs::File>,
    n: usize,
    dim: usize,
}

/// Where the rows stood before a file: lengths of both temporary files and the row count.
#[derive(Clone, Copy)]
struct Mark(u64, u64, usize);

impl Rows {
    fn new(dir: &Path, dim: usize) -> Result<Rows> {
        let temp = || {
            tempfile::tempfile_in(dir)
                .map(BufWriter::new)
                .with_context(|| format!("cannot create a temporary file in {}", dir.display()))
        };
        Ok(Rows {
            body: temp()?,
            index: temp()?,
            n: 0,
            dim,
        })
    }

    fn push(&mut self, values: &[f32], index_line: std::fmt::Arguments) -> Result<()> {
        for v in values {
            self.body.write_all(&v.to_le_bytes())?;
        }
        writeln!(self.index, "{},{index_line}", self.n)?;
        self.n += 1;
        Ok(())
    }

    fn mark(&mut self) -> Result<Mark> {
        Ok(Mark(
            self.body.stream_position()?,
            self.index.stream_position()?,
            self.n,
        ))
    }

    fn rollback(&mut self, Mark(body, index, n): Mark) -> Result<()> {
        for (w, len) in [(&mut self.body, body), (&mut self.index, index)] {
            w.flush()?;
            w.get_mut().set_len(len)?;
            w.seek(std::io::SeekFrom::Start(len))?;
        }
        self.n = n;
        Ok(())
    }

    /// Write `out` (npy header + rows) and `index_path` (header + lines), each atomically.
    fn publish(self, out: &Path, index_path: &Path, header: &str) -> Result<()> {
        let Rows {
            body,
            index,
            n,
            dim,
        } = self;
        let mut npy =
            AtomicFile::create(out).with_context(|| format!("cannot create {}", out.display()))?;
        hark_features::write_npy_header(&mut npy, n, dim)?;
        let mut csv = AtomicFile::create(index_path)
            .with_context(|| format!("cannot create {}", index_path.display()))?;
        writeln!(csv, "{header}")?;
        for (from, to) in [(body, &mut npy), (index, &mut csv)] {
            let mut f = from.into_inner().map_err(|e| e.into_error())?;
            f.rewind()?;
            std::io::copy(&mut f, to)?;
        }
        npy.commit()
            .with_context(|| format!("cannot write {}", out.display()))?;
        csv.commit()
            .with_context(|| format!("cannot write {}", index_path.display()))?;
        Ok(())
    }
}

/// Decode `input` in chunks, embed its non-silent windows in batches, add its rows.
fn embed_one(
    file: &ModelFile,
    predictor: &Predictor,
    input: &AudioInput,
    per_clip: bool,
    rows: &mut Rows,
    bar: &PredictBar,
) -> Result<()> {
    let cfg = &file.meta.features;
    let name = input.path.display().to_string();
    let csv_name = csv_field(&name);
    let mut extractor = StreamingExtractor::new(cfg)?;
    let mut windows: Vec<Window> = Vec::new();
    let mut batch: Vec<f32> =
        Vec::with_capacity(BATCH * predictor.window_shape().0 * predictor.window_shape().1);
    let mut spans: Vec<(usize, f64, f64)> = Vec::with_capacity(BATCH);
    let mut sum = vec![0f64; rows.dim];
    let mut count = 0usize;
    let mut seen = 0usize;
    let mut run = |batch: &mut Vec<f32>, spans: &mut Vec<(usize, f64, f64)>| -> Result<()> {
        if spans.is_empty() {
            return Ok(());
        }
        let e = predictor.embed(batch, spans.len())?;
        let dim = rows.dim.max(1);
        for (row, &(w, s, t)) in e.chunks_exact(dim).zip(spans.iter()) {
            if per_clip {
                for (acc, &v) in sum.iter_mut().zip(row) {
                    *acc += f64::from(v);
                }
                count += 1;
            } else {
                rows.push(row, format_args!("{csv_name},{w},{s:.3},{t:.3}"))?;
            }
        }
        batch.clear();
        spans.clear();
        Ok(())
    };
    // Windows -> batches; `last` also runs the final, partial batch.
    let mut take = |ws: &mut Vec<Window>,
                    batch: &mut Vec<f32>,
                    spans: &mut Vec<(usize, f64, f64)>,
                    last: bool|
     -> Result<()> {
        for w in ws.drain(..) {
            let i = seen;
            seen += 1;
            if w.silent {
                continue; // never shown to the model, as in `hark predict`
            }
            let (s, t) = cfg.window_span(w.start_frame);
            batch.extend_from_slice(&w.values);
            spans.push((i, s, t));
            if spans.len() == BATCH {
                run(batch, spans)?;
            }
        }
        if last {
            run(batch, spans)?;
        }
        Ok(())
    };
    let mut failed: Option<anyhow::Error> = None;
    let mut on_chunk = |chunk: &[f32]| -> ControlFlow<()> {
        extractor.push(chunk, &mut windows);
        bar.audio(chunk.len() as f64 / f64::from(cfg.sr));
        if let Err(e) = take(&mut windows, &mut batch, &mut spans, false) {
            failed = Some(e);
            return ControlFlow::Break(());
        }
        if stop_flag().load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let decoded = super::input::stream_input(&input.path, cfg.sr, &mut on_chunk);
    let summary = decoded.with_context(|| format!("cannot read {name}"))?;
    if let Some(e) = failed {
        return Err(e);
    }
    if summary.stopped {
        bail!("interrupted");
    }
    for w in &summary.warnings {
        eprintln!("warning: {}: {w}", super::input::shown(&input.path));
    }
    extractor.finish(&mut windows);
    take(&mut windows, &mut batch, &mut spans, true)?;
    if per_clip {
        if count == 0 {
            eprintln!(
                "warning: {}: every window is below the silence gate; no row",
                super::input::shown(&input.path)
            );
            return Ok(());
        }
        let mean: Vec<f32> = sum.iter().map(|v| (v / count as f64) as f32).collect();
        let duration = summary.frames as f64 / f64::from(cfg.sr);
        rows.push(&mean, format_args!("{csv_name},{count},{duration:.3}"))?;
    }
    Ok(())
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
