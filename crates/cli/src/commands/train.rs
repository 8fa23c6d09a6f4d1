//! `hark train`: dataset -> features -> partition -> training -> model file and curves.
//!
//! Flow: outermost layer over hark-pipeline (partition, fit) and hark-train (curves).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use hark_pipeline::PartitionOptions;

use super::Outcome;
use super::common::{augment_log, extract, finish_augment_log, open_dataset, training_setup};
use crate::args::TrainArgs;
use crate::progress::{BarObserver, stop_flag, was_interrupted};

fn history_paths(model: &Path, report_dir: Option<&Path>) -> (PathBuf, PathBuf) {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let dir = report_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| model.parent().unwrap_or(Path::new(".")).to_path_buf());
    (
        dir.join(format!("{stem}.history.csv")),
        dir.join(format!("{stem}.history.png")),
    )
}

/// `hark train`.
pub fn train(args: &TrainArgs) -> Result<Outcome> {
    let t0 = Instant::now();
    // Ctrl-C from here on stops cleanly: after extraction nothing is written, during training
    // the best epoch so far is kept.
    let stop = stop_flag();
    let (cfg, fit) = training_setup(&args.opts)?;
    let opened = open_dataset(&args.dataset)?;
    let ds = &opened.ds;
    let fs = extract(ds, &cfg, args.opts.cache_dir.as_deref(), args.opts.quiet)?;
    if was_interrupted() {
        eprintln!(
            "interrupted during feature extraction (computed features are cached); nothing was written"
        );
        return Ok(Outcome::Interrupted);
    }
    let opts = fit;
    let part = hark_pipeline::partition(
        ds,
        &PartitionOptions {
            val_fold: args.val_fold,
            test_fold: args.test_fold,
            validation_fraction: opts.train.validation_fraction,
            seed: opts.train.seed,
        },
    )?;
    if !part.test.is_empty() && !args.opts.quiet {
        eprintln!(
            "holding out {} test clips (evaluate them with `hark eval`)",
            part.test.len()
        );
    }
    if !args.opts.quiet {
        eprintln!(
            "training on {} clips, validating on {} clips, {} classes ({})",
            part.train.len(),
            part.val.len(),
            ds.classes.len(),
            part.protocol
        );
    }
    let mut log = augment_log(&args.opts, ds)?;
    let mut observer =
        BarObserver::new(opts.train.epochs, args.opts.quiet, "").with_augment_log(log.as_mut());
    let trained = hark_pipeline::fit(ds, &fs, &part, &opts, &mut observer, &stop)?;
    drop(observer);
    finish_augment_log(log, &args.opts)?;
    if trained.interrupted {
        eprintln!(
            "stopped by Ctrl-C; keeping the best epoch ({})",
            trained.file.meta.training.best_epoch
        );
    }
    if trained.silent_clips > 0 {
        eprintln!(
            "warning: {} clips had no window above the silence gate and were left out of training",
            trained.silent_clips
        );
    }
    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    trained
        .file
        .save(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let (csv, png) = history_paths(&args.output, args.report_dir.as_deref());
    if let Some(dir) = csv.parent() {
        std::fs::create_dir_all(dir)?;
    }
    hark_train::write_history_csv(&csv, &trained.history)?;
    hark_train::render_history_png(
        &png,
        &trained.history,
        trained.file.meta.training.best_epoch,
        trained.val_metrics.as_ref().map(|m| m.accuracy),
    )?;
    if let Some(m) = &trained.val_metrics {
        println!(
            "validation (best epoch, whole clips): accuracy {:.2}%  balanced accuracy {:.2}%  ({} clips)",
            m.accuracy * 100.0,
            m.balanced_accuracy * 100.0,
            part.val.len()
        );
    }
    println!("{}", super::common::tuning_line(&trained.tuning));
    println!(
        "wrote {} ({:.1} s, {} training / {} validation windows); curves: {}, {}",
        args.output.display(),
        t0.elapsed().as_secs_f64(),
        trained.windows.0,
        trained.windows.1,
        csv.display(),
        png.display()
    );
    let skipped = opened.skipped + fs.failed.len();
    Ok(if trained.interrupted || was_interrupted() {
        Outcome::Interrupted
    } else {
        Outcome::from_failures(skipped)
    })
}
