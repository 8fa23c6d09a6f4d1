//! `hark check DATASET` (and `hark info DATASET`): what a dataset holds before training, as
//! tables for people or one JSON object for programs. The check itself is
//! `hark_data::check`; this file opens the dataset, loads the model to compare class names
//! with, draws the progress bar and prints.
//!
//! Flow: outermost layer over hark-data (datasets, the first stage) and hark-infer (model file).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use hark_data::check::{CheckObserver, CheckOptions, DatasetCheck};
use hark_infer::ModelFile;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Outcome;
use crate::args::{CheckArgs, CheckOpts};

/// `hark check`: exit code 1 when a file was unreadable or an entry skipped.
pub fn check(args: &CheckArgs) -> Result<Outcome> {
    let report = dataset_check(&args.dataset, &args.check)?;
    let text = if args.json {
        format!("{}\n", to_json(&args.dataset, &report)?)
    } else {
        table(&report)
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    summary_on_stderr(&args.dataset, &report);
    Ok(Outcome::from_failures(usize::from(report.has_failures())))
}

/// Whether `hark info` should check `path` as a dataset: a folder or a CSV manifest.
pub(super) fn is_dataset(path: &Path) -> bool {
    path.is_dir()
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Opens and checks the dataset at `path`, comparing class names with `--model` when given.
pub(super) fn dataset_check(path: &Path, opts: &CheckOpts) -> Result<DatasetCheck> {
    let model = match &opts.model_file {
        Some(m) => Some((
            m,
            ModelFile::load(m).with_context(|| format!("cannot load model {}", m.display()))?,
        )),
        None => None,
    };
    let ds =
        hark_data::open(path).with_context(|| format!("cannot open dataset {}", path.display()))?;
    let bar = CheckBar::new(opts.quiet);
    let check_opts = CheckOptions {
        decode: opts.decode,
        threads: None,
        observer: Some(&bar),
    };
    let mut report = hark_data::check(&ds, &check_opts).context("dataset check failed")?;
    if let Some((m, file)) = model {
        report.model = Some(hark_data::label_overlap(
            &m.display().to_string(),
            &ds.classes,
            &file.meta.class_names,
        ));
    }
    Ok(report)
}

/// One stderr line when something failed, so the exit code 1 is explained even with `--json`.
pub(super) fn summary_on_stderr(path: &Path, r: &DatasetCheck) {
    if !r.unreadable.is_empty() {
        eprintln!(
            "warning: {} of {} files in {} are unreadable (listed in the report)",
            r.unreadable.len(),
            r.files,
            path.display()
        );
    }
    if !r.problems.is_empty() {
        eprintln!(
            "warning: {} entries of {} were skipped while opening it (listed in the report)",
            r.problems.len(),
            path.display()
        );
    }
}

/// The report as one JSON object, plus `kind` ("dataset") and `path` (as given).
pub(super) fn to_json(path: &Path, r: &DatasetCheck) -> Result<serde_json::Value> {
    let mut obj = serde_json::Map::new();
    obj.insert("kind".into(), "dataset".into());
    obj.insert("path".into(), path.display().to_string().into());
    if let serde_json::Value::Object(fields) = serde_json::to_value(r)? {
        obj.extend(fields);
    }
    Ok(serde_json::Value::Object(obj))
}

/// `12.300 s`, `4 min 05 s`, `2 h 03 min`.
fn duration_words(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if seconds < 60.0 {
        format!("{seconds:.3} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

/// `8000 Hz (4 files), 16000 Hz (1 file)`.
fn tally<K: std::fmt::Display>(counts: &BTreeMap<K, usize>, unit: &str) -> String {
    if counts.is_empty() {
        return "-".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k}{unit} ({n} file{})", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Clips per fold, then per split, in the table's column order.
fn count_row(
    folds: &[u32],
    splits: &[&String],
    by_fold: &BTreeMap<u32, usize>,
    by_split: &BTreeMap<String, usize>,
) -> Vec<usize> {
    let f = folds.iter().map(|f| by_fold.get(f).copied().unwrap_or(0));
    let s = splits
        .iter()
        .map(|s| by_split.get(*s).copied().unwrap_or(0));
    f.chain(s).collect()
}

/// One line of the class table: clips, seconds, unreadable, then one column per fold and split.
fn row(
    out: &mut String,
    (width, widths): (usize, &[usize]),
    name: &str,
    [clips, bad]: [usize; 2],
    secs: f64,
    counts: &[usize],
) {
    let _ = write!(out, "{name:<width$} {clips:>6} {secs:>10.3} {bad:>10}");
    for (n, w) in counts.iter().zip(widths) {
        let _ = write!(out, " {n:>w$}");
    }
    out.push('\n');
}

/// The report as tables and lists for people.
pub(super) fn table(r: &DatasetCheck) -> String {
    let mut out = String::new();
    let read = if r.decoded {
        "every file decoded"
    } else {
        "headers read; --decode also finds audio damaged after a good header"
    };
    let _ = writeln!(
        out,
        "dataset {} ({}) at {}\n{} clips from {} files in {} classes, {} of audio ({read})\n",
        r.name,
        r.format.name(),
        r.root.display(),
        r.clips,
        r.files,
        r.classes.len(),
        duration_words(r.seconds)
    );
    let folds: Vec<u32> = r.folds.keys().copied().collect();
    let splits: Vec<&String> = r.splits.keys().collect();
    let width = r
        .classes
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let _ = write!(
        out,
        "{:<width$} {:>6} {:>10} {:>10}",
        "class", "clips", "seconds", "unreadable"
    );
    let columns: Vec<String> = folds
        .iter()
        .map(|f| format!("fold {f}"))
        .chain(splits.iter().map(|s| s.to_string()))
        .collect();
    for c in &columns {
        let _ = write!(out, " {c:>7}");
    }
    out.push('\n');
    let widths: Vec<usize> = columns.iter().map(|c| c.len().max(7)).collect();
    for c in &r.classes {
        let counts = count_row(&folds, &splits, &c.folds, &c.splits);
        row(
            &mut out,
            (width, &widths),
            &c.name,
            [c.clips, c.unreadable],
            c.seconds,
            &counts,
        );
    }
    let bad: usize = r.classes.iter().map(|c| c.unreadable).sum();
    let counts = count_row(&folds, &splits, &r.folds, &r.splits);
    row(
        &mut out,
        (width, &widths),
        "total",
        [r.clips, bad],
        r.seconds,
        &counts,
    );
    let _ = writeln!(out, "\nsample rates: {}", tally(&r.sample_rates, " Hz"));
    let _ = writeln!(out, "channels:     {}", tally(&r.channels, ""));
    let _ = writeln!(out, "codecs:       {}", tally(&r.codecs, ""));
    if r.unknown_length > 0 {
        let _ = writeln!(
            out,
            "length unknown for {} readable files (not counted in seconds)",
            r.unknown_length
        );
    }
    if !r.unreadable.is_empty() {
        let _ = writeln!(out, "\nunreadable files ({}):", r.unreadable.len());
        for u in &r.unreadable {
            let _ = writeln!(
                out,
                "  {} [{}]: {}",
                u.path.display(),
                u.classes.join(", "),
                u.reason
            );
        }
    }
    if !r.duplicates.is_empty() {
        let n = r.duplicates.len();
        let s = if n == 1 { "" } else { "s" };
        let _ = writeln!(out, "\nsame content in several files ({n} group{s}):");
        for g in &r.duplicates {
            let _ = writeln!(
                out,
                "  {} (xxh3 {}, {} bytes)",
                g.describe(),
                &g.hash[..16.min(g.hash.len())],
                g.bytes
            );
            for f in &g.files {
                let _ = writeln!(out, "    {} [{}]", f.path.display(), f.classes.join(", "));
            }
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(out, "\nread with warnings ({}):", r.warnings.len());
        for w in &r.warnings {
            let _ = writeln!(out, "  {}: {}", w.path.display(), w.message);
        }
    }
    if !r.problems.is_empty() {
        let _ = writeln!(out, "\nskipped while opening ({}):", r.problems.len());
        for p in &r.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    if let Some(m) = &r.model {
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".into()
            } else {
                v.join(", ")
            }
        };
        let _ = writeln!(
            out,
            "\nclasses against model {}:\n  in both ({}): {}\n  only in the dataset, never predicted ({}): {}\n  only in the model, never tested ({}): {}",
            m.model,
            m.both.len(),
            list(&m.both),
            m.only_dataset.len(),
            list(&m.only_dataset),
            m.only_model.len(),
            list(&m.only_model)
        );
    }
    out
}

/// Draws the check's bar on stderr: only on a terminal, never with `--quiet`.
struct CheckBar {
    bar: ProgressBar,
}

impl CheckBar {
    fn new(quiet: bool) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template("checking files {bar:40} {pos}/{len}, eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        CheckBar { bar }
    }
}

impl CheckObserver for CheckBar {
    fn on_start(&self, files: usize) {
        self.bar.set_length(files as u64);
    }

    // Calls come from rayon threads, possibly out of order: count them.
    fn on_file(&self, _done: usize, _total: usize) {
        self.bar.inc(1);
    }

    fn on_finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for CheckBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
