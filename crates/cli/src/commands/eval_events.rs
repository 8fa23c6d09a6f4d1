//! `hark eval MODEL RECORDINGS`: sound event detection on long recordings with Audacity
//! label tracks: event- and segment-based F1, error rate, false alarms per hour and the miss
//! rate at the operating point and over a sweep of onsets, in a report with a picture.
//!
//! Flow: outermost layer over hark-pipeline (scoring recordings in chunks, events, metrics)
//! and hark-eval (the report). Recordings are decoded one at a time at constant memory; a
//! recording that cannot be decoded is reported and skipped (exit code 1).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use anyhow::{Context, Result, bail};
use hark_data::{DataError, Dataset};
use hark_eval::{SedConfig, SedEvent, SedReport};
use hark_infer::{ModelFile, Predictor};
use hark_pipeline::{PipelineError, ScoredRecording};

use super::Outcome;
use super::common::Opened;
use crate::args::EvalArgs;
use crate::progress::{PredictBar, stop_flag};

/// Open an Audacity-labelled dataset. Unlike a clip dataset, one class is enough: a detector
/// of a single sound is evaluated on recordings annotated with that sound only.
pub fn open_recordings(path: &Path) -> Result<Opened> {
    let parsed = hark_data::parse(path)
        .with_context(|| format!("cannot open dataset {}", path.display()))?;
    let ds = match parsed.clone().validate() {
        Ok(ds) => ds,
        Err(DataError::TooFewClasses {
            classes, problems, ..
        }) if !classes.is_empty() => {
            let missing: Vec<&PathBuf> = problems.iter().filter_map(|p| p.path.as_ref()).collect();
            let clips = parsed
                .clips
                .into_iter()
                .filter(|c| c.path.is_file() && !missing.contains(&&c.path))
                .collect();
            Dataset {
                name: parsed.root.file_name().map_or_else(
                    || parsed.root.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                ),
                root: parsed.root,
                format: parsed.format,
                classes,
                clips,
                problems,
            }
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("cannot open dataset {}", path.display()))
            );
        }
    };
    for p in &ds.problems {
        eprintln!("warning: {p}");
    }
    let skipped = ds.problems.len();
    Ok(Opened { ds, skipped })
}

/// `hark eval` on recordings with label tracks.
pub fn eval_events(args: &EvalArgs, file: &ModelFile, opened: &Opened) -> Result<Outcome> {
    for (given, flag) in [
        (args.fold.is_some(), "--fold"),
        (args.split.is_some(), "--split"),
        (args.target_precision.is_some(), "--target-precision"),
    ] {
        if given {
            bail!(
                "{flag} applies to clips; {} holds recordings with label tracks, scored as sound events (add --regions to classify each labelled region as a clip)",
                args.dataset.display()
            );
        }
    }
    let ds = &opened.ds;
    let events = args.event_opts.to_config()?;
    let sed = SedConfig {
        t_collar: args.collar,
        ..SedConfig::default()
    };
    sed.validate()?;
    let decision = match args.threshold {
        Some(t) => file.meta.decision.with_threshold(Some(t))?,
        None => file.meta.decision,
    };
    let mut refs = hark_pipeline::reference_events(ds);
    if args.dataset.is_dir() {
        hark_pipeline::add_empty_tracks(&args.dataset, &mut refs);
    }
    let predictor = Predictor::new(file)?;
    let bar = PredictBar::new(refs.len(), args.quiet);
    let mut scored: Vec<(ScoredRecording, Vec<SedEvent>)> = Vec::with_capacity(refs.len());
    let mut failed = 0;
    for (path, reference) in refs {
        let mut on_audio = |s: f64| {
            bar.audio(s);
            if stop_flag().load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let result = hark_pipeline::score_recording_with(
            &predictor,
            &file.meta.features,
            decision,
            &path,
            &mut on_audio,
        );
        bar.file_done();
        match result {
            Ok(rec) => {
                for w in &rec.warnings {
                    eprintln!("warning: {}: {w}", path.display());
                }
                scored.push((rec, reference));
            }
            Err(PipelineError::Stopped { .. }) => {
                bar.finish();
                return Ok(Outcome::Interrupted);
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {:#}", anyhow::Error::new(e));
            }
        }
    }
    bar.finish();
    if scored.is_empty() {
        bail!("no recording of {} could be scored", args.dataset.display());
    }
    let onsets = hark_pipeline::default_onsets();
    let e = hark_pipeline::evaluate_recordings(
        &scored,
        &file.meta.class_names,
        &events,
        &sed,
        &onsets,
    )?;
    let hours: f64 = scored.iter().map(|(r, _)| r.duration_s).sum::<f64>() / 3600.0;
    let mut notes = vec![format!(
        "{} recordings, {hours:.2} h of audio; model trained on {}",
        scored.len(),
        file.meta.training.dataset
    )];
    if failed > 0 {
        notes.push(format!(
            "{failed} recordings could not be decoded and are left out"
        ));
    }
    if opened.skipped > 0 {
        notes.push(format!(
            "{} entries of the dataset were skipped ({})",
            opened.skipped,
            hark_data::summarize(&ds.problems)
        ));
    }
    for n in &e.notes {
        eprintln!("warning: {n}");
    }
    notes.extend(e.notes.iter().cloned());
    let report = SedReport {
        title: "hark eval (sound events in recordings)".into(),
        dataset: ds.name.clone(),
        model: args.model.display().to_string(),
        events,
        scoring: sed,
        metrics: e.metrics,
        sweep: e.sweep,
        best: e.best,
        files: e.files,
        notes,
    };
    report.write_dir(&args.output)?;
    print_headline(&report);
    println!("report: {}", args.output.join("report.html").display());
    Ok(Outcome::from_failures(failed + opened.skipped))
}

/// The numbers a person looks at first.
fn print_headline(r: &SedReport) {
    let num = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"));
    let ev = &r.metrics.event_based;
    println!(
        "event F1 {} (precision {}, recall {})  segment F1 {}  error rate {}",
        num(ev.overall.f1),
        num(ev.overall.precision),
        num(ev.overall.recall),
        num(r.metrics.segment_based.overall.f1),
        num(ev.overall.error_rate)
    );
    println!(
        "false alarms {} per hour ({} in {:.2} h)  miss rate {} ({} of {} events)",
        ev.false_alarms_per_hour
            .map_or_else(|| "n/a".into(), |v| format!("{v:.1}")),
        ev.false_alarms,
        r.metrics.duration_s / 3600.0,
        ev.miss_rate
            .map_or_else(|| "n/a".into(), |v| format!("{:.1}%", v * 100.0)),
        ev.misses,
        ev.overall.n_ref
    );
    if let Some(b) = &r.best {
        println!(
            "best onset of the sweep: {:.2} (event F1 {}, {} false alarms per hour)",
            b.onset,
            num(b.event_f1),
            b.false_alarms_per_hour
                .map_or_else(|| "n/a".into(), |v| format!("{v:.1}"))
        );
    }
}
