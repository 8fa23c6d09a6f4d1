//! `hark eval`: score a model on a labelled dataset's held-out clips, with a report (scores,
//! predictions.csv, the mistakes to look at), and optionally tune its unknown-threshold on its
//! own validation clips. Features are extracted for those clips only. Long recordings with
//! Audacity label tracks are evaluated as sound events instead ([`super::eval_events`]),
//! unless `--regions` asks for their labelled regions as clips.
//!
//! Flow: outermost layer over hark-pipeline (selection, evaluation, tuning) and hark-eval
//! (reports).

use anyhow::{Context, Result};
use hark_eval::Report;
use hark_infer::ModelFile;

use super::Outcome;
use super::common::{extract_clips, open_dataset, print_metrics};
use crate::args::EvalArgs;

/// `hark eval`.
pub fn eval(args: &EvalArgs) -> Result<Outcome> {
    let mut file = ModelFile::load(&args.model)
        .with_context(|| format!("cannot load model {}", args.model.display()))?;
    let recordings = matches!(
        hark_data::detect(&args.dataset),
        Ok((hark_data::DatasetFormat::Audacity, _))
    );
    if recordings && !args.regions {
        let opened = super::eval_events::open_recordings(&args.dataset)?;
        return super::eval_events::eval_events(args, &file, &opened);
    }
    let opened = open_dataset(&args.dataset)?;
    let ds = &opened.ds;
    let clips = hark_pipeline::select_eval_clips(
        ds,
        args.fold,
        args.split.as_deref(),
        &file.meta.held_out,
    )?;
    // Features only for the clips scored (and the validation clips a threshold is tuned on).
    let mut needed = clips.clone();
    if args.target_precision.is_some() {
        needed.extend(hark_pipeline::validation_clips(ds, &file));
    }
    let fs = extract_clips(
        ds,
        Some(&needed),
        &file.meta.features,
        args.cache_dir.as_deref(),
        args.quiet,
    )?;
    let mut notes = Vec::new();
    if let Some(target) = args.target_precision {
        match hark_pipeline::tune_threshold(ds, &fs, &file, target)? {
            Some(tuned) => {
                let t = tuned.threshold.unwrap_or_default();
                notes.push(format!(
                    "threshold {t:.4}: the lowest reaching precision {target} on the model's {} validation clips (stored in the model file)",
                    file.meta.held_out.validated.len()
                ));
                file.meta.decision = tuned;
                file.save(&args.model)?;
                println!(
                    "threshold {t:.4} reaches precision {target} on the validation clips; stored in {}",
                    args.model.display()
                );
            }
            None => notes.push(format!(
                "no threshold reaches precision {target} on the validation clips; the model is unchanged"
            )),
        }
    }
    let decision = match args.threshold {
        Some(t) => file.meta.decision.with_threshold(Some(t))?,
        None => file.meta.decision,
    };
    let e = hark_pipeline::evaluate(ds, &fs, &file, &clips, &decision)?;
    notes.insert(
        0,
        format!(
            "{} clips evaluated; model trained on {}",
            e.preds.len(),
            file.meta.training.dataset
        ),
    );
    match e.same_dataset {
        Some(true) => notes.push(format!(
            "same dataset as in training (fingerprint {}); held out there: {}",
            file.meta.held_out.dataset_fingerprint, file.meta.held_out.protocol
        )),
        Some(false) => notes.push(
            "this dataset differs from the one the model was trained on (other clips or labels)"
                .into(),
        ),
        None => {}
    }
    if let Some(msg) =
        hark_pipeline::foreign_labels_message(&e.foreign_labels, &file.meta.class_names)
    {
        eprintln!("warning: {msg}");
        notes.push(msg);
    }
    if e.silent > 0 {
        notes.push(format!(
            "{} clips were silent (no window above the silence gate) and count as not answered",
            e.silent
        ));
    }
    let mut title = "hark eval".to_string();
    if !e.overlap.is_clean() {
        let msg = format!(
            "{} of the {} evaluated clips were used to train the model and {} to validate it: these scores overstate how it does on new audio; evaluate held-out clips (e.g. --split test or the --test-fold it was trained with)",
            e.overlap.trained,
            e.preds.len(),
            e.overlap.validated
        );
        eprintln!("warning: {msg}");
        notes.insert(0, format!("WARNING: {msg}"));
        title = "hark eval (NOT held out: scores include training/validation clips)".into();
    } else if !e.overlap_known {
        notes.push("the model file does not record its training clips (format 1), so overlap with training data could not be checked".into());
    }
    let mut report = Report::new(
        &title,
        ds.name.clone(),
        args.model.display().to_string(),
        e.metrics,
    );
    report.threshold_sweep = Some(e.sweep);
    report.decision = Some(decision);
    report.notes = notes;
    report.predictions = hark_pipeline::clip_rows(ds, &file.meta.class_names, &e.preds, None);
    report.mistake_pictures =
        hark_pipeline::mistake_pictures(&report.predictions, &file.meta.features);
    report.write_dir(&args.output)?;
    print_metrics(&report.metrics);
    println!("report: {}", args.output.join("report.html").display());
    let failed = opened.skipped
        + fs.failed
            .iter()
            .filter(|f| clips.binary_search(&f.clip).is_ok())
            .count();
    Ok(Outcome::from_failures(failed))
}
