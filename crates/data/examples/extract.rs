//! Opens a dataset and extracts its features twice: cold, then from the cache.
//!
//! Flow: datasets -> audio -> **features** (benchmark of the cached extraction). Usage:
//!
//! ```text
//! cargo run --release -p hark-data --example extract -- DATASET [--cache DIR] [--threads N]
//! ```
//!
//! Without `--cache` a fresh temporary cache folder is used (so the first run is cold). Times are
//! wall-clock, single runs; the feature configuration is the default one.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use hark_data::{ExtractObserver, ExtractOptions, extract, open};
use hark_features::FeatureConfig;

/// Prints a line at every tenth of the clips (the library itself draws nothing).
#[derive(Default)]
struct Tenths(AtomicUsize);

impl ExtractObserver for Tenths {
    fn on_clip(&self, done: usize, total: usize, _cached: bool) {
        let tenth = done * 10 / total.max(1);
        if self.0.fetch_max(tenth, Ordering::Relaxed) < tenth {
            eprintln!("  {}% of {total} clips", tenth * 10);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dataset = None;
    let mut cache = None;
    let mut threads = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--cache" => cache = args.next().map(PathBuf::from),
            "--threads" => threads = args.next().map(|t| t.parse()).transpose()?,
            _ => dataset = Some(PathBuf::from(a)),
        }
    }
    let Some(dataset) = dataset else {
        return Err("usage: extract DATASET [--cache DIR] [--threads N]".into());
    };
    let tmp = tempfile::tempdir()?;
    let cache_dir = cache.unwrap_or_else(|| tmp.path().to_path_buf());

    let t = Instant::now();
    let ds = open(&dataset)?;
    println!(
        "{}: {:?}, {} clips, {} classes, folds {:?}, {} problems, opened in {:.3} s",
        ds.name,
        ds.format,
        ds.clips.len(),
        ds.classes.len(),
        ds.folds(),
        ds.problems.len(),
        t.elapsed().as_secs_f64()
    );
    let cfg = FeatureConfig::default();
    for run in ["first", "cached"] {
        let progress = Tenths::default();
        let opts = ExtractOptions {
            cache_dir: Some(&cache_dir),
            threads,
            observer: Some(&progress),
        };
        let t = Instant::now();
        let fs = extract(&ds, &cfg, &opts)?;
        println!(
            "{run} run: {:.3} s, {} clips ok, {} failed, {} windows, stats {:?}",
            t.elapsed().as_secs_f64(),
            fs.clips.len(),
            fs.failed.len(),
            fs.window_count(),
            fs.stats
        );
        for f in fs.failed.iter().take(5) {
            println!("  failed: {}: {}", f.path.display(), f.error);
        }
    }
    Ok(())
}
