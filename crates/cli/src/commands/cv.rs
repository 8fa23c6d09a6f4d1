//! `hark cv`: cross-validation — for each fold, train on the others (validating on a held-out
//! share of them) and test on it; per-fold models and a summary report.
//!
//! Flow: outermost layer over hark-pipeline (folds, rounds) and hark-eval (summary report).

use std::time::Instant;

use anyhow::{Context, Result, bail};
use hark_eval::{CvSummary, Report};
use hark_pipeline::{CvOptions, FoldScheme, PipelineError};

use super::Outcome;
use super::common::{augment_log, extract, finish_augment_log, open_dataset, training_setup};
use crate::args::CvArgs;
use crate::progress::{BarObserver, stop_flag, was_interrupted};

/// `hark cv`.
pub fn cv(args: &CvArgs) -> Result<Outcome> {
    let t0 = Instant::now();
    let stop = stop_flag();
    let (cfg, fit) = training_setup(&args.opts)?;
    let opened = open_dataset(&args.dataset)?;
    let ds = &opened.ds;
    let opts = CvOptions {
        scheme: args.folds,
        group_by: args.group_by.clone(),
        fit,
    };
    let folds = hark_pipeline::cv_folds(
        ds,
        opts.scheme,
        opts.group_by.as_deref(),
        opts.fit.train.seed,
    )?;
    let unknown: Vec<u32> = args
        .only
        .iter()
        .copied()
        .filter(|f| !folds.iter().any(|cf| cf.fold == *f))
        .collect();
    if !unknown.is_empty() {
        let have: Vec<String> = folds.iter().map(|f| f.fold.to_string()).collect();
        let unknown: Vec<String> = unknown.iter().map(|f| f.to_string()).collect();
        bail!(
            "--only {}: no such fold; the folds are {}",
            unknown.join(", "),
            have.join(", ")
        );
    }
    let fs = extract(ds, &cfg, args.opts.cache_dir.as_deref(), args.opts.quiet)?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let mut log = augment_log(&args.opts, ds)?;
    let mut per_fold = Vec::new();
    let mut rows = Vec::new();
    let mut partial = None;
    for fold in folds
        .iter()
        .filter(|f| args.only.is_empty() || args.only.contains(&f.fold))
    {
        if was_interrupted() {
            partial = Some(fold.fold);
            break;
        }
        let tf = Instant::now();
        let prefix = format!("[fold {}]", fold.fold);
        if let Some(log) = log.as_mut() {
            log.set_fold(fold.fold);
        }
        let mut observer = BarObserver::new(opts.fit.train.epochs, args.opts.quiet, &prefix)
            .with_augment_log(log.as_mut());
        let r = match hark_pipeline::run_fold(ds, &fs, fold, &opts, &mut observer, &stop) {
            Err(PipelineError::Interrupted) => {
                partial = Some(fold.fold);
                break;
            }
            r => r?,
        };
        drop(observer);
        let name = if r.trained.interrupted {
            partial = Some(fold.fold);
            format!("fold {} (PARTIAL: interrupted)", fold.fold)
        } else {
            format!("fold {}", fold.fold)
        };
        println!(
            "{name}: accuracy {:.2}% ({} test clips, {:.0} s)",
            r.metrics.accuracy * 100.0,
            r.preds.len(),
            tf.elapsed().as_secs_f64()
        );
        let model = args.output.join(format!("fold{}.hark", fold.fold));
        r.trained
            .file
            .save(&model)
            .with_context(|| format!("cannot write {}", model.display()))?;
        rows.extend(hark_pipeline::clip_rows(
            ds,
            &r.trained.file.meta.class_names,
            &r.preds,
            Some(fold.fold),
        ));
        per_fold.push((name, r.metrics));
        if r.trained.interrupted {
            break;
        }
    }
    finish_augment_log(log, &args.opts)?;
    if let Some(f) = partial {
        eprintln!("interrupted: reporting the folds finished so far; fold {f} is partial");
    }
    if per_fold.is_empty() {
        if partial.is_some() {
            return Ok(Outcome::Interrupted);
        }
        bail!("no fold was run (check --only)");
    }
    let summary = CvSummary::from_folds(per_fold)?;
    let scheme = match (args.folds, &args.group_by) {
        (FoldScheme::Official, _) => "official folds".to_string(),
        (FoldScheme::KFold(k), Some(col)) => format!("{k}-fold grouped by {col}"),
        (FoldScheme::KFold(k), None) => format!("stratified {k}-fold, seed {}", args.opts.seed),
    };
    let mut report = Report::cross_validation(
        format!("hark cv ({scheme})"),
        ds.name.clone(),
        opts.fit.model.arch_name().to_string(),
        summary.clone(),
    );
    report.notes = vec![format!(
        "seed {}, augmentation {}, wall time {:.0} s",
        args.opts.seed,
        args.opts.augment.to_spec(),
        t0.elapsed().as_secs_f64()
    )];
    if let Some(f) = partial {
        report.notes.insert(
            0,
            format!("WARNING: interrupted; fold {f} is partial (trained for fewer epochs, or not at all) and later folds did not run"),
        );
    }
    report.mistake_pictures = hark_pipeline::mistake_pictures(&rows, &cfg);
    report.predictions = rows;
    report.write_dir(&args.output)?;
    println!(
        "cv: accuracy {} over {} folds ({:.0} s); report: {}",
        summary.accuracy,
        summary.folds.len(),
        t0.elapsed().as_secs_f64(),
        args.output.join("report.html").display()
    );
    Ok(if partial.is_some() || was_interrupted() {
        Outcome::Interrupted
    } else {
        Outcome::from_failures(opened.skipped + fs.failed.len())
    })
}
