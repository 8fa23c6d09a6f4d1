//! Progress display for feature extraction and training (indicatif) and the Ctrl-C stop flag.
//!
//! Flow: outermost layer; observes hark-data's extraction and hark-train's loop without
//! changing them (the library crates draw nothing).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hark_data::{ExtractObserver, ExtractStats};
use hark_train::{Applied, EpochStats, TrainObserver};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// True once Ctrl-C was pressed (the command's exit code is then 130).
pub fn was_interrupted() -> bool {
    stop_flag().load(Ordering::SeqCst)
}

/// Set by Ctrl-C: training stops after the current batch and keeps the best model so far.
pub fn stop_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // A second Ctrl-C while stopping exits at once (the model file is written atomically,
        // so nothing half-written is left behind).
        let _ = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ninterrupted: finishing the work in progress and keeping what is complete (Ctrl-C again to abort)");
        });
        flag
    })
    .clone()
}

/// Draws the feature-extraction bar on stderr: only on a terminal, never with `--quiet`.
pub struct ExtractBar {
    bar: ProgressBar,
}

impl ExtractBar {
    /// A bar drawn on stderr when it is a terminal and `quiet` is false; hidden otherwise.
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template(
                "extracting features {bar:40} {pos}/{len} clips, eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        ExtractBar { bar }
    }
}

impl ExtractObserver for ExtractBar {
    fn on_start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }

    // Calls come from rayon threads, possibly out of order: count them rather than trust `done`.
    fn on_clip(&self, _done: usize, _total: usize, _cached: bool) {
        self.bar.inc(1);
    }

    fn on_finish(&self, _stats: &ExtractStats) {
        self.bar.finish_and_clear();
    }
}

impl Drop for ExtractBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Draws the `hark predict` bar on stderr (files, hours of audio, ETA): only on a terminal,
/// never with `--quiet`. Shared by the worker threads.
pub struct PredictBar {
    bar: ProgressBar,
    /// Audio done, in milliseconds.
    audio_ms: std::sync::atomic::AtomicU64,
}

impl PredictBar {
    /// A bar for `files` files.
    pub fn new(files: usize, quiet: bool) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template(
                "predicting {bar:30} {pos}/{len} files, {msg} of audio, {per_sec}, eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message("0.00 h");
        PredictBar {
            bar,
            audio_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// `seconds` more audio were processed.
    pub fn audio(&self, seconds: f64) {
        let ms = (seconds * 1000.0) as u64;
        let total = self.audio_ms.fetch_add(ms, Ordering::Relaxed) + ms;
        // Redraw the message only when the shown value changes (0.01 h = 36 s).
        if total / 36_000 != (total - ms) / 36_000 {
            self.bar
                .set_message(format!("{:.2} h", total as f64 / 3_600_000.0));
        }
    }

    /// One more file is done (or failed or skipped).
    pub fn file_done(&self) {
        self.bar.inc(1);
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `--log-augment FILE`: one JSON line per augmented training window, written atomically
/// (the file appears, complete, when [`AugmentLog::commit`] is called).
pub struct AugmentLog {
    out: std::io::BufWriter<hark_io::AtomicFile>,
    files: Vec<String>,
    fold: Option<u32>,
    error: Option<std::io::Error>,
}

impl AugmentLog {
    /// A log at `path`; `files[clip id]` names each training clip.
    pub fn create(path: &std::path::Path, files: Vec<String>) -> std::io::Result<AugmentLog> {
        Ok(AugmentLog {
            out: std::io::BufWriter::new(hark_io::AtomicFile::create(path)?),
            files,
            fold: None,
            error: None,
        })
    }

    /// Tag the following lines with a cross-validation fold.
    pub fn set_fold(&mut self, fold: u32) {
        self.fold = Some(fold);
    }

    fn write(&mut self, applied: &[Applied]) {
        use std::io::Write;
        if self.error.is_some() {
            return;
        }
        for a in applied {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                if let Some(f) = self.fold {
                    obj.insert("fold".into(), f.into());
                }
                let file = self.files.get(a.clip as usize).cloned().unwrap_or_default();
                obj.insert("file".into(), file.into());
            }
            if let Err(e) = writeln!(self.out, "{v}") {
                self.error = Some(e);
                return;
            }
        }
    }

    /// Flush and move the finished log into place; the first write error, if any.
    pub fn commit(self) -> std::io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.out.into_inner().map_err(|e| e.into_error())?.commit()
    }
}

/// Draws one bar per epoch with loss and accuracy; prints a line per finished epoch.
pub struct BarObserver<'a> {
    bar: ProgressBar,
    epochs: usize,
    quiet: bool,
    prefix: String,
    augment_log: Option<&'a mut AugmentLog>,
}

impl<'a> BarObserver<'a> {
    /// Also write what augmentation applied to `log`.
    pub fn with_augment_log(mut self, log: Option<&'a mut AugmentLog>) -> Self {
        self.augment_log = log;
        self
    }

    /// One bar for `epochs` epochs, lines prefixed with `prefix` (e.g. `[fold 3]`).
    pub fn new(epochs: usize, quiet: bool, prefix: &str) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} epoch {msg} [{bar:30}] {pos}/{len} batches {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(prefix.to_string());
        BarObserver {
            bar,
            epochs,
            quiet,
            prefix: prefix.to_string(),
            augment_log: None,
        }
    }
}

impl TrainObserver for BarObserver<'_> {
    fn wants_augment_log(&self) -> bool {
        self.augment_log.is_some()
    }

    fn on_augment(&mut self, applied: &[Applied]) {
        if let Some(log) = self.augment_log.as_deref_mut() {
            log.write(applied);
        }
    }

    fn on_batch(&mut self, done: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
    }

    fn on_epoch(&mut self, s: &EpochStats) {
        self.bar.set_message(format!("{}/{}", s.epoch, self.epochs));
        if self.quiet {
            return;
        }
        let val = match (s.val_loss, s.val_acc) {
            (Some(l), Some(a)) => format!("  val loss {l:.4} window acc {:.1}%", a * 100.0),
            _ => String::new(),
        };
        let augment = if s.augment_seconds > 0.0 {
            format!(" (augmentation {:.2} s)", s.augment_seconds)
        } else {
            String::new()
        };
        // Classical models are fitted in one pass, without a learning rate.
        let lr = if s.lr > 0.0 {
            format!("  lr {:.2e}", s.lr)
        } else {
            String::new()
        };
        let line = format!(
            "{}epoch {:>3}: loss {:.4} window acc {:.1}%{val}{lr}  {:.1} s{augment}  {:.0} windows/s",
            if self.prefix.is_empty() {
                String::new()
            } else {
                format!("{} ", self.prefix)
            },
            s.epoch,
            s.train_loss,
            s.train_acc * 100.0,
            s.seconds,
            s.windows_per_sec
        );
        // indicatif drops println output when it draws nowhere (not a terminal): print directly then.
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}

impl Drop for BarObserver<'_> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
