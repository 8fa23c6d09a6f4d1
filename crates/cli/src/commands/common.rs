//! Shared by the dataset commands (`train`, `eval`, `cv`): open a dataset and report its
//! problems, find the cache, extract features with a progress bar, turn flags into
//! library options.
//!
//! Flow: outermost layer over hark-data and hark-pipeline.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hark_data::{Dataset, ExtractOptions, FeatureSet};
use hark_features::FeatureConfig;
use hark_infer::Aggregation;
use hark_infer::ModelFile;
use hark_model::{
    ClassicalConfig, ClassicalInput, ClassicalMethod, ModelConfig, SbCnnConfig, StrideDsConfig,
};
use hark_pipeline::FitOptions;
use hark_train::{LrSchedule, OptimizerConfig, TrainConfig};

use crate::args::{AggregationArg, ArchArg, OptimizerArg, ScheduleArg, TrainOpts};
use crate::progress::AugmentLog;

/// A dataset and how many of its entries were skipped (bad rows, missing files).
pub struct Opened {
    /// The valid entries.
    pub ds: Dataset,
    /// Entries reported and left out (they make the exit code 1).
    pub skipped: usize,
}

/// Open a dataset and print what validation found (missing files, bad rows) to stderr.
pub fn open_dataset(path: &Path) -> Result<Opened> {
    let ds =
        hark_data::open(path).with_context(|| format!("cannot open dataset {}", path.display()))?;
    for p in &ds.problems {
        eprintln!("warning: {p}");
    }
    if !ds.problems.is_empty() {
        eprintln!(
            "warning: {} in {}; those entries are skipped",
            hark_data::summarize(&ds.problems),
            path.display()
        );
    }
    let skipped = ds.problems.len();
    Ok(Opened { ds, skipped })
}

/// Feature cache folder: the one given, else `$HARK_CACHE_DIR`, `$XDG_CACHE_HOME/hark` or
/// `~/.cache/hark` (never inside the dataset, which may be read-only), else `.hark-cache` in
/// the current folder.
pub fn cache_dir(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(hark_data::cache::default_cache_dir)
        .unwrap_or_else(|| PathBuf::from(".hark-cache"))
}

/// Compute (or load cached) features for the clips of `ds`, reporting clips that failed.
pub fn extract(
    ds: &Dataset,
    cfg: &FeatureConfig,
    cache: Option<&Path>,
    quiet: bool,
) -> Result<FeatureSet> {
    extract_clips(ds, None, cfg, cache, quiet)
}

/// [`extract`] for only the clips `clips` of `ds` (every clip when `None`).
pub fn extract_clips(
    ds: &Dataset,
    clips: Option<&[usize]>,
    cfg: &FeatureConfig,
    cache: Option<&Path>,
    quiet: bool,
) -> Result<FeatureSet> {
    let cache = cache_dir(cache);
    let bar = crate::progress::ExtractBar::new(quiet);
    let opts = ExtractOptions {
        cache_dir: Some(&cache),
        threads: None,
        observer: Some(&bar),
    };
    let fs = match clips {
        Some(clips) => hark_data::extract_clips(ds, clips, cfg, &opts),
        None => hark_data::extract(ds, cfg, &opts),
    }
    .context("feature extraction failed")?;
    for f in &fs.failed {
        eprintln!("warning: skipped {}: {}", f.path.display(), f.error);
    }
    for c in &fs.clips {
        for w in &c.warnings {
            eprintln!("warning: {}: {w}", ds.clips[c.clip].path.display());
        }
    }
    Ok(fs)
}

fn logreg(o: &TrainOpts) -> ClassicalMethod {
    ClassicalMethod::Logreg {
        c: o.logreg_c,
        max_iter: 100,
    }
}

/// Feature settings and fit options from the training flags. With `--init MODEL` they are
/// MODEL's feature settings and architecture, starting from its weights; with `--embed MODEL`,
/// its feature settings and logistic regression on its embedding.
pub fn training_setup(o: &TrainOpts) -> Result<(FeatureConfig, FitOptions)> {
    let mut opts = fit_options(o);
    if o.model != ArchArg::Logreg && o.logreg_c != 1.0 {
        bail!("--logreg-c applies to --model logreg only");
    }
    if let Some(path) = &o.init {
        let start = model_for_features(o, path, "--init", "starting model")?;
        if start.meta.model.is_classical() {
            bail!(
                "--init starts a network from a network; {} is {}: use --embed with its embedding model instead",
                path.display(),
                start.meta.model.arch_name()
            );
        }
        opts.model = start.meta.model.clone();
        opts.init = Some(start.weights);
        return Ok((start.meta.features, opts));
    }
    let Some(path) = &o.embed else {
        return Ok((o.features.to_config()?, opts));
    };
    if o.model != ArchArg::Logreg {
        bail!("--embed fits logistic regression on a model's embedding: add --model logreg");
    }
    let base = model_for_features(o, path, "--embed", "embedding model")?;
    opts.model = ModelConfig::Classical(ClassicalConfig {
        method: logreg(o),
        input: ClassicalInput::Embedding {
            base: Box::new(base.meta.model.clone()),
            base_classes: base.meta.class_names.len(),
        },
    });
    opts.init = Some(base.weights);
    Ok((base.meta.features, opts))
}

/// The model `flag` names (`what` in messages), whose feature settings the training takes:
/// feature options are refused with it.
fn model_for_features(o: &TrainOpts, path: &Path, flag: &str, what: &str) -> Result<ModelFile> {
    if o.features.any_given() {
        bail!(
            "{flag} uses the feature settings {} was trained with: drop the feature options",
            path.display()
        );
    }
    ModelFile::load(path).with_context(|| format!("cannot load the {what} {}", path.display()))
}

/// The library options `hark train` and `hark cv` flags describe.
pub fn fit_options(o: &TrainOpts) -> FitOptions {
    let model = match o.model {
        ArchArg::Sbcnn => ModelConfig::SbCnn(SbCnnConfig::default()),
        ArchArg::StrideDs => ModelConfig::StrideDs(StrideDsConfig::default()),
        ArchArg::Logreg => ModelConfig::Classical(ClassicalConfig {
            method: logreg(o),
            input: ClassicalInput::BandStats,
        }),
    };
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
        // The library's default schedule is the plateau one (one definition of its constants).
        ScheduleArg::Plateau => TrainConfig::default().lr_schedule,
    };
    FitOptions {
        model,
        train: TrainConfig {
            epochs: o.epochs,
            batch_size: o.batch_size,
            optimizer,
            lr_schedule,
            patience: (o.patience > 0).then_some(o.patience),
            class_weights: o.class_weights,
            seed: o.seed,
            validation_fraction: o.validation_fraction,
            augment: o.augment.clone(),
            freeze: o.freeze.clone(),
        },
        init: None,
        aggregation: aggregation(o.aggregation),
        threshold: (!o.no_threshold).then_some(hark_pipeline::ThresholdRule {
            target_precision: o.target_precision,
            keep_correct: o.keep_correct,
        }),
    }
}

/// The `--log-augment` file, when asked for and augmentation is on.
pub fn augment_log(o: &TrainOpts, ds: &Dataset) -> Result<Option<AugmentLog>> {
    let Some(path) = &o.log_augment else {
        return Ok(None);
    };
    if o.augment.is_off() {
        bail!(
            "--log-augment {}: no augmentation to log (add --augment)",
            path.display()
        );
    }
    let files = ds
        .clips
        .iter()
        .map(|c| c.path.display().to_string())
        .collect();
    let log = AugmentLog::create(path, files)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Some(log))
}

/// Move a finished `--log-augment` file into place.
pub fn finish_augment_log(log: Option<AugmentLog>, o: &TrainOpts) -> Result<()> {
    if let (Some(log), Some(path)) = (log, &o.log_augment) {
        log.commit()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// One line saying how the stored unknown-threshold was chosen.
pub fn tuning_line(t: &hark_pipeline::Tuning) -> String {
    use hark_pipeline::Tuning;
    match *t {
        Tuning::Off => {
            "no unknown-threshold stored (--no-threshold): every clip gets a class".into()
        }
        Tuning::NoValidation => {
            "no unknown-threshold stored: no validation clips to choose it on".into()
        }
        Tuning::Unreachable { target } => format!(
            "no unknown-threshold stored: no threshold reaches precision {target} on the validation clips"
        ),
        Tuning::Chosen {
            rule,
            threshold,
            coverage,
            precision,
            clips,
        } => format!(
            "unknown below {threshold:.4}: chosen on {clips} validation clips (target precision {}, keeping {:.0}% of right answers): precision {:.1}%, answering {:.1}% of them",
            rule.target_precision,
            rule.keep_correct * 100.0,
            precision * 100.0,
            coverage * 100.0
        ),
    }
}

/// The library's pooling for a `--aggregation` value.
pub fn aggregation(a: AggregationArg) -> Aggregation {
    match a {
        AggregationArg::Mean => Aggregation::Mean,
        AggregationArg::Majority => Aggregation::Majority,
    }
}

/// Print accuracy and the per-class table.
pub fn print_metrics(m: &hark_eval::Metrics) {
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
    for (name, p, r, f) in m.average_rows() {
        println!(
            "{name:<20} {p:>9.3} {r:>9.3} {f:>9.3} {:>8}",
            m.per_class.iter().map(|c| c.support).sum::<usize>()
        );
    }
}
