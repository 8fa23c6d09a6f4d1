//! `hark cv`: cross-validation — for each fold, train on the others (validating on a
//! stratified share of them) and test on it; a per-fold and summary report.
//!
//! Flow: outermost layer over hark-pipeline (folds, partition, fit, evaluate) and hark-eval
//! (summary report).

use std::time::Instant;

use anyhow::{Result, bail};
use hark_eval::{CvSummary, Report};
use hark_pipeline::FoldScheme;

use super::Outcome;
use super::common::{extract, fit_options, open_dataset};
use crate::args::CvArgs;
use crate::progress::{BarObserver, stop_flag};

/// `hark cv`.
pub fn cv(args: &CvArgs) -> Result<Outcome> {
    let t0 = Instant::now();
    let cfg = args.opts.features.to_config()?;
    let opened = open_dataset(&args.dataset)?;
    let ds = &opened.ds;
    let folds = hark_pipeline::cv_folds(ds, args.folds, args.group_by.as_deref(), args.opts.seed)?;
    let unknown: Vec<u32> = args
        .only
        .iter()
        .copied()
        .filter(|f| !folds.iter().any(|cf| cf.fold == *f))
        .collect();
    if !unknown.is_empty() {
        let have: Vec<String> = folds.iter().map(|f| f.fold.to_string()).collect();
        bail!(
            "--only {unknown:?}: no such fold; the folds are {}",
            have.join(", ")
        );
    }
    let fs = extract(ds, &cfg, args.opts.cache_dir.as_deref(), args.opts.quiet)?;
    std::fs::create_dir_all(&args.output)?;
    let opts = fit_options(&args.opts);
    let mut per_fold = Vec::new();
    let mut partial = None;
    for fold in folds
        .iter()
        .filter(|f| args.only.is_empty() || args.only.contains(&f.fold))
    {
        let tf = Instant::now();
        let part =
            hark_pipeline::cv_partition(ds, fold, args.opts.validation_fraction, args.opts.seed);
        let prefix = format!("[fold {}]", fold.fold);
        let mut observer = BarObserver::new(opts.train.epochs, args.opts.quiet, &prefix);
        let trained = hark_pipeline::fit(ds, &fs, &part, &opts, &mut observer, &stop_flag())?;
        drop(observer);
        let predictor = hark_infer::Predictor::new(&trained.file)?;
        let preds =
            hark_pipeline::predict_clips(&predictor, &fs, &part.test, &trained.file.meta.decision)?;
        let m = hark_pipeline::metrics_for(ds, &trained.file.meta.class_names, &preds)?;
        let name = if trained.interrupted {
            partial = Some(fold.fold);
            format!("fold {} (PARTIAL: interrupted)", fold.fold)
        } else {
            format!("fold {}", fold.fold)
        };
        println!(
            "{name}: accuracy {:.2}% ({} test clips, {:.0} s)",
            m.accuracy * 100.0,
            preds.len(),
            tf.elapsed().as_secs_f64()
        );
        trained
            .file
            .save(&args.output.join(format!("fold{}.hark", fold.fold)))?;
        per_fold.push((name, m));
        if trained.interrupted {
            eprintln!(
                "interrupted: reporting the folds finished so far, fold {} marked partial",
                fold.fold
            );
            break;
        }
    }
    if per_fold.is_empty() {
        bail!("no fold was run (check --only)");
    }
    let summary = CvSummary::from_folds(per_fold)?;
    let scheme = match args.folds {
        FoldScheme::Official => "official folds".to_string(),
        FoldScheme::KFold(k) => match &args.group_by {
            Some(col) => format!("{k}-fold grouped by {col}"),
            None => format!("stratified {k}-fold, seed {}", args.opts.seed),
        },
    };
    let mut report = Report::cross_validation(
        format!("hark cv ({scheme})"),
        ds.name.clone(),
        format!("{:?}", args.opts.model),
        summary.clone(),
    );
    report.notes = vec![format!(
        "seed {}, wall time {:.0} s",
        args.opts.seed,
        t0.elapsed().as_secs_f64()
    )];
    if let Some(f) = partial {
        report.notes.insert(
            0,
            format!("WARNING: interrupted; fold {f} is partial (trained for fewer epochs) and later folds did not run"),
        );
    }
    report.write_dir(&args.output)?;
    println!(
        "cv: accuracy {} over {} folds ({:.0} s); report: {}",
        summary.accuracy,
        summary.folds.len(),
        t0.elapsed().as_secs_f64(),
        args.output.join("report.html").display()
    );
    Ok(if partial.is_some() {
        Outcome::Interrupted
    } else {
        Outcome::from_failures(opened.skipped + fs.failed.len())
    })
}
