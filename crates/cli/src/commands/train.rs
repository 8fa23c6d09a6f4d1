//! `hark train`, `hark eval`, `hark cv` and model `info`: dataset -> features -> training ->
//! model file -> clip decisions -> reports.
//!
//! Flow: train/eval stage, driven from the CLI.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hark_data::Dataset;
use hark_eval::{Aggregation, CvSummary, DecisionConfig, Metrics, Report};
use hark_features::FeatureConfig;
use hark_model::{ModelConfig, SbCnnConfig, StrideDsConfig};
use hark_train::{
    EpochStats, LrSchedule, ModelFile, ModelMeta, OptimizerConfig, Predictor, TrainConfig,
    TrainingSummary,
};

use super::Outcome;
use crate::args::{
    AggregationArg, ArchArg, CvArgs, EvalArgs, OptimizerArg, ScheduleArg, TrainArgs, TrainOpts,
};
use crate::pipeline::{self, Partition};
use crate::progress::{BarObserver, stop_flag};

fn model_config(arch: ArchArg) -> ModelConfig {
    match arch {
        ArchArg::Sbcnn => ModelConfig::SbCnn(SbCnnConfig::default()),
        ArchArg::StrideDs => ModelConfig::StrideDs(StrideDsConfig::default()),
    }
}

pub(crate) fn aggregation(a: AggregationArg) -> Aggregation {
    match a {
        AggregationArg::Mean => Aggregation::Mean,
        AggregationArg::Majority => Aggregation::Majority,
    }
}

fn train_config(o: &TrainOpts) -> TrainConfig {
    let optimizer = match o.optimizer {
        OptimizerArg::Adam => OptimizerConfig::Adam {
            lr: o.lr,
            weight_decay: None,
        },
        OptimizerArg::Sgd => OptimizerConfig::Sgd {
            lr: o.lr,
            momentum: 0.9,
            nesterov: true,
            weight_decay: None,
        },
    };
    let lr_schedule = match o.lr_schedule {
        ScheduleArg::Constant => LrSchedule::Constant,
        ScheduleArg::Cosine => LrSchedule::Cosine,
        ScheduleArg::Plateau => LrSchedule::ReduceOnPlateau {
            factor: 0.5,
            patience: 3,
        },
    };
    TrainConfig {
        epochs: o.epochs,
        batch_size: o.batch_size,
        optimizer,
        lr_schedule,
        patience: (o.patience > 0).then_some(o.patience),
        class_weights: o.class_weights,
        seed: o.seed,
        validation_fraction: o.validation_fraction,
    }
}

/// Everything one training run produces.
struct Trained {
    file: ModelFile,
    history: Vec<EpochStats>,
    val_metrics: Option<Metrics>,
}

/// Train on `part.train`, early-stop on `part.val`, and build the model file (not yet saved).
fn fit(
    ds: &Dataset,
    fs: &hark_data::FeatureSet,
    part: &Partition,
    opts: &TrainOpts,
    prefix: &str,
) -> Result<Trained> {
    let cfg = &fs.config;
    let classes = ds.classes.clone();
    let train_set = pipeline::window_set(ds, fs, &part.train, &classes)?;
    let val_set = pipeline::window_set(ds, fs, &part.val, &classes)?;
    if train_set.is_empty() {
        bail!("no training windows: every training clip failed or was silent");
    }
    eprintln!(
        "{prefix}training on {} clips ({} windows), validating on {} clips ({} windows), {} classes",
        part.train.len(),
        train_set.len(),
        part.val.len(),
        val_set.len(),
        classes.len()
    );
    let model_cfg = model_config(opts.model);
    let tcfg = train_config(opts);
    let mut observer = BarObserver::new(tcfg.epochs, opts.quiet, prefix);
    let stop = stop_flag();
    let val = (!val_set.is_empty()).then_some(&val_set);
    let outcome = hark_train::train(
        &model_cfg,
        &tcfg,
        classes.len(),
        &train_set,
        val,
        &mut observer,
        &stop,
    )?;
    drop(observer);
    if outcome.interrupted {
        eprintln!(
            "{prefix}stopped early by Ctrl-C; keeping the best epoch ({})",
            outcome.best_epoch
        );
    }
    let decision = DecisionConfig {
        aggregation: aggregation(opts.aggregation),
        threshold: None,
    };
    let training = TrainingSummary {
        epochs: outcome.history.len(),
        best_epoch: outcome.best_epoch,
        val_acc: outcome
            .history
            .iter()
            .find(|s| s.epoch == outcome.best_epoch)
            .and_then(|s| s.val_acc),
        dataset: ds.name.clone(),
        seed: tcfg.seed,
        date: hark_train::utc_now(),
        hark_version: env!("CARGO_PKG_VERSION").to_string(),
        train_config: Some(tcfg.clone()),
    };
    let meta = ModelMeta {
        model: model_cfg,
        features: cfg.clone(),
        class_names: classes,
        decision,
        input_shape: [1, cfg.n_mels, cfg.window_frames],
        training,
    };
    let file = ModelFile {
        meta,
        weights: outcome.weights,
    };
    let val_metrics = if part.val.is_empty() {
        None
    } else {
        let predictor = Predictor::new(&file)?;
        let preds = pipeline::predict_clips(&predictor, fs, &part.val, &decision)?;
        Some(metrics_for(ds, &file.meta.class_names, &preds)?)
    };
    Ok(Trained {
        file,
        history: outcome.history,
        val_metrics,
    })
}

fn metrics_for(
    ds: &Dataset,
    classes: &[String],
    preds: &[pipeline::ClipPrediction],
) -> Result<Metrics> {
    let mut y_true = Vec::with_capacity(preds.len());
    let mut y_pred = Vec::with_capacity(preds.len());
    for p in preds {
        if let Some(t) = classes.iter().position(|c| *c == ds.clips[p.clip].label) {
            y_true.push(t);
            y_pred.push(p.label);
        }
    }
    Ok(hark_eval::evaluate(classes, &y_true, &y_pred)?)
}

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
    let cfg = args.opts.features.to_config()?;
    let ds = pipeline::open_dataset(&args.dataset)?;
    let cache = pipeline::cache_dir(args.opts.cache_dir.as_deref());
    let fs = pipeline::extract(&ds, &cfg, cache, args.opts.quiet)?;
    let part = pipeline::partition(
        &ds,
        args.val_fold,
        args.test_fold,
        args.opts.validation_fraction,
        args.opts.seed,
    );
    if !part.test.is_empty() {
        eprintln!(
            "holding out {} test clips (evaluate them with `hark eval`)",
            part.test.len()
        );
    }
    let trained = fit(&ds, &fs, &part, &args.opts, "")?;
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
    hark_train::render_history_png(&png, &trained.history)?;
    if let Some(m) = &trained.val_metrics {
        println!(
            "validation: accuracy {:.2}%  balanced accuracy {:.2}%  ({} clips)",
            m.accuracy * 100.0,
            m.balanced_accuracy * 100.0,
            part.val.len()
        );
    }
    println!(
        "wrote {} ({:.1} s); curves: {}, {}",
        args.output.display(),
        t0.elapsed().as_secs_f64(),
        csv.display(),
        png.display()
    );
    let interrupted = stop_flag().load(Ordering::SeqCst);
    Ok(if interrupted {
        Outcome::SomeFailed
    } else {
        Outcome::Ok
    })
}

/// `hark info model.hark`.
pub fn model_info(path: &Path) -> Result<String> {
    let file = ModelFile::load(path)?;
    let m = &file.meta;
    let f = &m.features;
    let [_, n_mels, frames] = m.input_shape;
    let s = hark_model::summary(&m.model, n_mels, frames, m.class_names.len())?;
    let mut out = format!("{}\n", path.display());
    out += &format!(
        "  architecture: {} (input 1 x {n_mels} x {frames}, {} classes)\n",
        m.model.arch_name(),
        m.class_names.len()
    );
    out += &format!(
        "  parameters:   {} trainable, {} buffers\n",
        s.params, s.buffers
    );
    out += &format!("  compute:      {} MACs per window\n", s.macs_per_window);
    out += &format!(
        "  weights:      {} bytes as f32 ({:.1} KiB); largest activation {} values\n",
        s.weight_bytes,
        s.weight_bytes as f64 / 1024.0,
        s.max_activation
    );
    out += &format!("  classes:      {}\n", m.class_names.join(", "));
    out += &format!(
        "  features:     sr {} Hz, n_fft {}, hop_length {}, n_mels {}, fmin {}, fmax {}, {:?} scale\n",
        f.sr,
        f.n_fft,
        f.hop_length,
        f.n_mels,
        f.fmin,
        f.fmax_hz(),
        f.mel_scale
    );
    out += &format!(
        "  windows:      {} frames ({:.3} s), overlap {}, normalisation {:?}, silence threshold {}\n",
        f.window_frames,
        f.window_seconds(),
        f.overlap,
        f.normalization,
        f.silence_threshold_db
            .map(|t| format!("{t} dBFS"))
            .unwrap_or_else(|| "off".into())
    );
    out += &format!(
        "  decision:     {:?} pooling, unknown below {}\n",
        m.decision.aggregation,
        m.decision
            .threshold
            .map(|t| format!("{t:.3}"))
            .unwrap_or_else(|| "never".into())
    );
    let t = &m.training;
    out += &format!(
        "  training:     {} on {}, {} epochs (best {}), val window acc {}, seed {}, hark {}\n",
        t.date,
        t.dataset,
        t.epochs,
        t.best_epoch,
        t.val_acc
            .map(|a| format!("{:.2}%", a * 100.0))
            .unwrap_or_else(|| "-".into()),
        t.seed,
        t.hark_version
    );
    Ok(out)
}

fn select_eval_clips(ds: &Dataset, fold: Option<u32>, split: Option<&str>) -> Result<Vec<usize>> {
    let split = match split {
        Some(s) => Some(
            hark_data::Split::parse(s)
                .with_context(|| format!("unknown split '{s}' (train, validation, test)"))?,
        ),
        None if ds
            .clips
            .iter()
            .any(|c| c.split == Some(hark_data::Split::Test)) =>
        {
            Some(hark_data::Split::Test)
        }
        None => None,
    };
    let clips: Vec<usize> = (0..ds.clips.len())
        .filter(|&i| fold.is_none_or(|f| ds.clips[i].fold == Some(f)))
        .filter(|&i| split.is_none_or(|s| ds.clips[i].split == Some(s)))
        .collect();
    if clips.is_empty() {
        bail!("no clips selected for evaluation (fold {fold:?}, split {split:?})");
    }
    Ok(clips)
}

/// `hark eval`.
pub fn eval(args: &EvalArgs) -> Result<Outcome> {
    let mut file = ModelFile::load(&args.model)
        .with_context(|| format!("cannot load model {}", args.model.display()))?;
    let ds = pipeline::open_dataset(&args.dataset)?;
    let clips = select_eval_clips(&ds, args.fold, args.split.as_deref())?;
    let cache = pipeline::cache_dir(args.cache_dir.as_deref());
    let fs = pipeline::extract(&ds, &file.meta.features, cache, args.quiet)?;
    let mut decision = file.meta.decision;
    if args.threshold.is_some() {
        decision.threshold = args.threshold;
    }
    let predictor = Predictor::new(&file)?;
    // Sweep thresholds on the raw top probabilities (no threshold applied).
    let raw = DecisionConfig {
        threshold: None,
        ..decision
    };
    let preds = pipeline::predict_clips(&predictor, &fs, &clips, &raw)?;
    let classes = file.meta.class_names.clone();
    let (probs, y_true): (Vec<Vec<f32>>, Vec<usize>) = preds
        .iter()
        .filter_map(|p| {
            classes
                .iter()
                .position(|c| *c == ds.clips[p.clip].label)
                .map(|t| (p.probs.clone(), t))
        })
        .unzip();
    let sweep = hark_eval::threshold_sweep(&probs, &y_true)?;
    let decided: Vec<pipeline::ClipPrediction> = preds
        .into_iter()
        .map(|mut p| {
            let d = hark_eval::decide(&p.probs, decision.threshold);
            p.label = d.label;
            p
        })
        .collect();
    let metrics = metrics_for(&ds, &classes, &decided)?;
    let mut notes = vec![format!(
        "{} clips evaluated; model trained on {}",
        decided.len(),
        file.meta.training.dataset
    )];
    if let Some(target) = args.target_precision {
        match hark_eval::pick_threshold(&sweep, target) {
            Some(t) => {
                notes.push(format!("lowest threshold reaching precision {target}: {t:.4} (stored in the model file)"));
                file.meta.decision.threshold = Some(t);
                file.save(&args.model)?;
                println!(
                    "threshold {t:.4} reaches precision {target}; stored in {}",
                    args.model.display()
                );
            }
            None => notes.push(format!("no threshold reaches precision {target}")),
        }
    }
    let mut report = Report::new(
        "hark eval",
        ds.name.clone(),
        args.model.display().to_string(),
        metrics,
    );
    report.threshold_sweep = Some(sweep);
    report.decision = Some(decision);
    report.notes = notes;
    report.write_dir(&args.output)?;
    print_metrics(&report.metrics);
    println!("report: {}", args.output.join("report.html").display());
    Ok(Outcome::Ok)
}

fn print_metrics(m: &Metrics) {
    println!(
        "accuracy {:.2}%  balanced accuracy {:.2}%  macro F1 {:.3}  coverage {:.1}%",
        m.accuracy * 100.0,
        m.balanced_accuracy * 100.0,
        m.macro_f1,
        m.coverage * 100.0
    );
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>8}",
        "class", "precision", "recall", "f1", "support"
    );
    for c in &m.per_class {
        println!(
            "{:<20} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            c.name, c.precision, c.recall, c.f1, c.support
        );
    }
}

/// `hark cv --folds official`: for each fold, train on the others and test on it.
pub fn cv(args: &CvArgs) -> Result<Outcome> {
    if args.folds != "official" {
        bail!(
            "--folds {}: only 'official' (the dataset's own fold column) is supported",
            args.folds
        );
    }
    let t0 = Instant::now();
    let cfg: FeatureConfig = args.opts.features.to_config()?;
    let ds = pipeline::open_dataset(&args.dataset)?;
    let folds = ds.folds();
    if folds.len() < 2 {
        bail!(
            "{} has no fold column (or only one fold); cross-validation needs official folds",
            args.dataset.display()
        );
    }
    let cache = pipeline::cache_dir(args.opts.cache_dir.as_deref());
    let fs = pipeline::extract(&ds, &cfg, cache, args.opts.quiet)?;
    std::fs::create_dir_all(&args.output)?;
    let mut per_fold = Vec::new();
    for &fold in &folds {
        if !args.only.is_empty() && !args.only.contains(&fold) {
            continue;
        }
        let tf = Instant::now();
        let rest: Vec<usize> = (0..ds.clips.len())
            .filter(|&i| ds.clips[i].fold != Some(fold))
            .collect();
        let test: Vec<usize> = (0..ds.clips.len())
            .filter(|&i| ds.clips[i].fold == Some(fold))
            .collect();
        let (train, val) =
            pipeline::stratified_split(&ds, &rest, args.opts.validation_fraction, args.opts.seed);
        let part = Partition { train, val, test };
        let trained = fit(&ds, &fs, &part, &args.opts, &format!("[fold {fold}]"))?;
        let predictor = Predictor::new(&trained.file)?;
        let preds =
            pipeline::predict_clips(&predictor, &fs, &part.test, &trained.file.meta.decision)?;
        let m = metrics_for(&ds, &trained.file.meta.class_names, &preds)?;
        println!(
            "fold {fold}: accuracy {:.2}% ({} test clips, {:.0} s)",
            m.accuracy * 100.0,
            preds.len(),
            tf.elapsed().as_secs_f64()
        );
        let model_path = args.output.join(format!("fold{fold}.hark"));
        trained.file.save(&model_path)?;
        per_fold.push((format!("fold {fold}"), m));
        if stop_flag().load(Ordering::SeqCst) {
            eprintln!("interrupted: reporting the folds finished so far");
            break;
        }
    }
    if per_fold.is_empty() {
        bail!("no fold was run (check --only)");
    }
    let summary = CvSummary::from_folds(per_fold)?;
    let mut report = Report::cross_validation(
        "hark cv (official folds)",
        ds.name.clone(),
        format!("{:?}", args.opts.model),
        summary.clone(),
    );
    report.notes = vec![format!(
        "seed {}, wall time {:.0} s",
        args.opts.seed,
        t0.elapsed().as_secs_f64()
    )];
    report.write_dir(&args.output)?;
    println!(
        "cv: accuracy {} over {} folds ({:.0} s); report: {}",
        summary.accuracy,
        summary.folds.len(),
        t0.elapsed().as_secs_f64(),
        args.output.join("report.html").display()
    );
    Ok(Outcome::Ok)
}
