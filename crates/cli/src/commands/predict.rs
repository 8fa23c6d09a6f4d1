//! `hark predict MODEL PATHS...`: classify files, folders and recordings of any length, one
//! row per file, per analysis window or per sound event, using only what the model file
//! carries (feature settings, classes, decision settings).
//!
//! Flow: predict stage: audio (decoded in chunks) -> features -> model -> decisions and
//! events -> output formats. Files are decoded and classified in parallel (`--jobs`); rows
//! come out in input order ([`super::ordered`]); memory does not grow with a recording's
//! length.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use hark_data::AudioInput;
use hark_infer::{
    DecisionConfig, InputStats, ModelFile, Predictor, ScanConfig, ScanOutput, ScanSummary, Scanner,
};
use hark_output::{
    ClipRecord, EventRecord, OutputFormat, OutputSpec, PerFileWriter, Record, RecordKind,
    StreamWriter, WindowRecord,
};

use super::Outcome;
use super::common::aggregation;
use super::ordered::{Emit, Ordered};
use crate::args::{DecisionArgs, PredictArgs};
use crate::progress::{PredictBar, stop_flag};

/// `hark predict`: a bad file is reported and the rest still classified (exit code 1).
pub fn predict(args: &PredictArgs) -> Result<Outcome> {
    let quiet = args.quiet;
    let file = super::input::load_model(&args.model, "the first argument of `hark predict`")?;
    let decision = decision_config(&file, &args.decision)?;
    let events = args.event_opts.to_config()?;
    let kind = if args.windows {
        RecordKind::Window
    } else if args.events {
        RecordKind::Event
    } else {
        RecordKind::Clip
    };
    let format = match (args.format, args.json) {
        (Some(f), _) => f,
        (None, true) => OutputFormat::JsonLines,
        (None, false) if args.output_dir.is_some() => OutputFormat::Csv,
        (None, false) if args.output.is_none() && std::io::stdout().is_terminal() => {
            OutputFormat::Table
        }
        (None, false) => OutputFormat::Csv,
    };
    let mut spec = OutputSpec::new(format, kind, &file.meta.class_names);
    spec.top_k = args.top_k.min(file.meta.class_names.len());
    spec.overwrite = args.overwrite;
    let f = &file.meta.features;
    spec.raven_band_hz = Some((f64::from(f.fmin), f64::from(f.fmax_hz())));

    let (mut inputs, problems) = hark_data::list_audio(&args.paths);
    let mut failed = problems.len();
    for p in &problems {
        eprintln!("error: {p}");
    }
    if let Some(shard) = args.shard {
        inputs.retain(|i| shard.contains(&i.path));
    }
    if inputs
        .iter()
        .filter(|i| super::input::is_dash(&i.path))
        .count()
        > 1
    {
        bail!("standard input can be read only once; give `-` once");
    }
    // Resume: files whose result file exists are skipped before any work.
    let mut skipped = 0;
    if let (Some(dir), true) = (&args.output_dir, args.skip_existing) {
        let before = inputs.len();
        inputs.retain(|i| !hark_output::output_path(dir, &i.root, &i.path, format).exists());
        skipped = before - inputs.len();
    }

    let stream = match (&args.output_dir, &args.output) {
        (Some(_), _) => None,
        (None, Some(path)) => Some(StreamWriter::create(path, &spec)?),
        (None, None) => Some(StreamWriter::stdout(&spec)?),
    };
    let ordered = Ordered::new(StreamOut(stream));
    let predictor = Predictor::new(&file)?;
    let cfg = ScanConfig {
        decision,
        events,
        batch: hark_infer::SCAN_BATCH,
    };
    let bar = PredictBar::new(inputs.len(), quiet);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(inputs.len().max(1));
    let next = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let job = Job {
        file: &file,
        predictor: &predictor,
        cfg,
        spec: &spec,
        kind,
        output_dir: args.output_dir.as_deref(),
        ordered: &ordered,
        bar: &bar,
    };
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                while !stop_flag().load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(input) = inputs.get(i) else { break };
                    if let Err(e) = job.run(i, input) {
                        errors.fetch_add(1, Ordering::SeqCst);
                        eprintln!("error: {}: {e:#}", super::input::shown(&input.path));
                    }
                    ordered.done(i);
                    bar.file_done();
                }
            });
        }
    });
    bar.finish();
    failed += errors.into_inner();
    let (StreamOut(stream), write_error) = ordered.into_inner();
    if let Some(e) = write_error {
        if is_broken_pipe(&e) {
            return Ok(Outcome::Ok); // the reader went away (`| head`): not our failure
        }
        return Err(e.context("cannot write the results"));
    }
    if stop_flag().load(Ordering::SeqCst) {
        // An output file is left as it was; per-file results already written are complete.
        return Ok(Outcome::Interrupted);
    }
    if let Some(w) = stream {
        w.finish()?;
    }
    if skipped > 0 && !quiet {
        eprintln!("skipped {skipped} file(s) whose results exist (--skip-existing)");
    }
    Ok(Outcome::from_failures(failed))
}

/// The model's decision settings with `--threshold` and `--aggregation` applied (a pooling
/// other than the one the stored threshold was tuned for is warned about).
pub fn decision_config(file: &ModelFile, args: &DecisionArgs) -> Result<DecisionConfig> {
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
    Ok(decision)
}

/// What every worker shares.
struct Job<'a> {
    file: &'a ModelFile,
    predictor: &'a Predictor,
    cfg: ScanConfig,
    spec: &'a OutputSpec,
    kind: RecordKind,
    output_dir: Option<&'a Path>,
    ordered: &'a Ordered<StreamOut, Record>,
    bar: &'a PredictBar,
}

impl Job<'_> {
    /// Predict one input, sending its records to the stream or its own result file.
    fn run(&self, index: usize, input: &AudioInput) -> Result<()> {
        let name = input.path.display().to_string();
        let mut per_file = match self.output_dir {
            Some(dir) => {
                let mut w = PerFileWriter::new(dir, &input.root, self.spec)?;
                w.begin_file(&input.path)?;
                Some(w)
            }
            None => None,
        };
        let mut sink = |records: Vec<Record>| -> Result<()> {
            match &mut per_file {
                Some(w) => records.iter().try_for_each(|r| w.write(r))?,
                None => self.ordered.write(index, records),
            }
            Ok(())
        };
        let result = self.scan(input, &name, &mut sink);
        match (result, per_file) {
            (Ok(()), Some(mut w)) => {
                w.end_file()?;
                Ok(())
            }
            (Ok(()), None) => Ok(()),
            (Err(e), Some(mut w)) => {
                w.abandon_file();
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// Decode `input` in chunks through a [`Scanner`], handing records to `sink` as they come.
    fn scan(
        &self,
        input: &AudioInput,
        name: &str,
        sink: &mut dyn FnMut(Vec<Record>) -> Result<()>,
    ) -> Result<()> {
        let classes = &self.file.meta.class_names;
        let sr = self.file.meta.features.sr;
        let mut scanner = Scanner::new(self.predictor, &self.file.meta.features, self.cfg)?;
        let mut out = ScanOutput::default();
        let mut failed: Option<anyhow::Error> = None;
        let mut on_chunk = |chunk: &[f32]| -> ControlFlow<()> {
            let step = scanner
                .push(chunk, &mut out)
                .map_err(anyhow::Error::from)
                .and_then(|()| sink(self.records(name, &out, classes)));
            out.clear();
            self.bar.audio(chunk.len() as f64 / f64::from(sr));
            match step {
                Err(e) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
                Ok(()) if stop_flag().load(Ordering::SeqCst) => ControlFlow::Break(()),
                Ok(()) => ControlFlow::Continue(()),
            }
        };
        let decoded = super::input::stream_input(&input.path, sr, &mut on_chunk);
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
        let end = scanner.finish(&mut out)?;
        let mut records = self.records(name, &out, classes);
        if let Some(profile) = &self.file.meta.input_profile {
            let stats = InputStats {
                sample_rate: Some(summary.native_sr),
                duration_s: end.duration_s as f32,
                level_dbfs: end.level_dbfs,
            };
            for w in profile.check(&stats, sr) {
                eprintln!("warning: {}: {w}", super::input::shown(&input.path));
            }
        }
        if self.kind == RecordKind::Clip {
            records.push(Record::Clip(clip_record(
                name,
                &end,
                classes,
                self.spec.top_k,
            )));
        }
        sink(records)
    }

    /// The records of this kind in `out`.
    fn records(&self, name: &str, out: &ScanOutput, classes: &[String]) -> Vec<Record> {
        let n = classes.len();
        match self.kind {
            RecordKind::Clip => Vec::new(),
            RecordKind::Window => out
                .windows
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    Record::Window(WindowRecord {
                        file: name.to_string(),
                        start_s: w.start_s,
                        end_s: w.end_s,
                        label: w.decision.outcome().name(classes).to_string(),
                        probability: w.decision.probability,
                        probs: out.row(i, n).to_vec(),
                    })
                })
                .collect(),
            RecordKind::Event => out
                .events
                .iter()
                .map(|e| {
                    Record::Event(EventRecord {
                        file: name.to_string(),
                        label: classes[e.class].clone(),
                        start_s: e.start_s,
                        end_s: e.end_s,
                        mean: e.mean,
                        peak: e.peak,
                    })
                })
                .collect(),
        }
    }
}

/// The clip row of a finished recording: its decision and its `top_k` classes.
fn clip_record(name: &str, end: &ScanSummary, classes: &[String], top_k: usize) -> ClipRecord {
    let mut order: Vec<usize> = (0..classes.len()).collect();
    order.sort_by(|&a, &b| end.probs[b].total_cmp(&end.probs[a]).then(a.cmp(&b)));
    let top = if end.decision.silent {
        Vec::new()
    } else {
        order
            .iter()
            .take(top_k)
            .map(|&c| (classes[c].clone(), end.probs[c]))
            .collect()
    };
    ClipRecord {
        file: name.to_string(),
        label: end.decision.outcome().name(classes).to_string(),
        probability: end.decision.probability,
        windows: end.scored_windows,
        duration_s: end.duration_s,
        top,
    }
}

/// The run's one output stream, or none (results go to per-file outputs).
struct StreamOut(Option<StreamWriter>);

impl Emit<Record> for StreamOut {
    fn emit(&mut self, record: &Record) -> Result<()> {
        if let Some(w) = &mut self.0 {
            w.write(record)?;
        }
        Ok(())
    }
}

/// Whether `e` is a closed pipe (the reader stopped reading).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Digits kept of a probability in JSON: enough for any threshold, no float noise.
const JSON_DIGITS: i32 = 6;

/// `p` rounded to [`JSON_DIGITS`] decimal digits (as an f64, so JSON prints it short).
pub fn round6(p: f32) -> f64 {
    let scale = 10f64.powi(JSON_DIGITS);
    (f64::from(p) * scale).round() / scale
}
