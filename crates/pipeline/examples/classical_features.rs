//! Benchmark input (classical classifiers): the log-mel statistics hark's logistic
//! regression and SVM are fitted on, as CSV, so scikit-learn, linfa and smartcore can be
//! compared on exactly the same numbers (bench/classical/run.sh).
//!
//! ```text
//! cargo run --release -p hark-pipeline --example classical_features -- DATASET OUT_DIR [speech|urban[:N_MELS[:FRAMES]]] [TEST_FOLD]
//! ```
//! Writes `OUT_DIR/train.csv` (training and validation clips) and `OUT_DIR/test.csv` (the
//! dataset's test split, or TEST_FOLD), one row per non-silent window: `label,f0,...`. The
//! features are those of `hark train --model logreg` before standardisation.

use std::fmt::Write as _;
use std::path::Path;

use hark_data::ExtractOptions;
use hark_features::FeatureConfig;
use hark_model::{ClassicalConfig, ModelConfig};
use hark_pipeline::{PartitionOptions, partition, training_windows};
use hark_train::classical::FeatureMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dataset, out, rest @ ..] = &args[..] else {
        return Err("usage: classical_features DATASET OUT_DIR [speech|urban[:N_MELS[:FRAMES]]] [TEST_FOLD]".into());
    };
    // PRESET[:N_MELS[:FRAMES]], e.g. speech:64:64.
    let spec: Vec<&str> = rest.first().map_or(vec![], |s| s.split(':').collect());
    let mut cfg = match spec.first().copied() {
        Some("urban") => FeatureConfig::default(),
        _ => FeatureConfig::speech(),
    };
    if let Some(m) = spec.get(1) {
        cfg.n_mels = m.parse()?;
    }
    if let Some(f) = spec.get(2) {
        cfg.window_frames = f.parse()?;
    }
    let test_fold = rest.get(1).map(|f| f.parse()).transpose()?;
    let ds = hark_data::open(Path::new(dataset))?;
    let cache = hark_data::cache::default_cache_dir();
    let fs = hark_data::extract(
        &ds,
        &cfg,
        &ExtractOptions {
            cache_dir: cache.as_deref(),
            threads: None,
            observer: None,
        },
    )?;
    let part = partition(
        &ds,
        &PartitionOptions {
            test_fold,
            ..PartitionOptions::default()
        },
    )?;
    let model = ModelConfig::Classical(ClassicalConfig::default());
    let plan = model.plan(cfg.n_mels, cfg.window_frames, ds.classes.len())?;
    let map = FeatureMap::new(&plan, None)?;
    std::fs::create_dir_all(out)?;
    let mut fit_clips = part.train.clone();
    fit_clips.extend(&part.val);
    for (name, clips) in [("train", fit_clips), ("test", part.test.clone())] {
        let set = training_windows(&ds, &fs, &clips, &ds.classes)?.set;
        let x = map.run(&set);
        let mut text = String::new();
        for (row, label) in x.rows().into_iter().zip(&set.labels) {
            let _ = write!(text, "{label}");
            for v in row {
                let _ = write!(text, ",{v}");
            }
            text.push('\n');
        }
        std::fs::write(Path::new(out).join(format!("{name}.csv")), text)?;
        eprintln!("{name}: {} windows x {} features", set.len(), map.dim());
    }
    Ok(())
}
