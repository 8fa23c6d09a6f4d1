//! hark-train: the training loop, window-level prediction and the model file.
//!
//! Flow: audio -> features -> model -> **train/eval** -> predict/stream -> export.
//!
//! - [`WindowSet`]: feature windows in memory, with labels and clip ids.
//! - [`train`] with a [`TrainConfig`]: seeded, early-stopping training returning the best
//!   [`ModelWeights`] and the epoch history ([`write_history_csv`], [`render_history_png`]).
//! - [`ModelFile`]: weights + [`ModelMeta`] in one safetensors file, written atomically.
//! - [`Predictor`]: softmax probabilities per window from a [`ModelFile`].
//!
//! Threads: the Flex CPU backend uses rayon; `RAYON_NUM_THREADS` limits it.

mod config;
mod error;
mod fit;
mod history;
mod model_file;
mod predict;
mod rng;
mod weights;
mod windows;

pub use config::{LrSchedule, OptimizerConfig, TrainConfig};
pub use error::TrainError;
pub use fit::{EpochStats, NoObserver, TrainObserver, TrainOutcome, train, train_device};
pub use history::{HISTORY_CSV_HEADER, render_history_png, write_history_csv};
pub use model_file::{FORMAT_NAME, FORMAT_VERSION, ModelFile, ModelMeta, TrainingSummary, utc_now};
pub use predict::{PREDICT_BATCH, Predictor};
pub use weights::{ModelWeights, NamedTensor};
pub use windows::WindowSet;

use std::io::Write;
use std::path::{Path, PathBuf};

/// Hidden temporary path next to `path` (same folder, so the final rename is atomic).
pub(crate) fn temp_path(path: &Path, ext: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.tmp{}.{ext}", std::process::id()))
}

/// fsync `tmp` and rename it over `path`; removes `tmp` on failure.
pub(crate) fn commit_temp(tmp: &Path, path: &Path) -> Result<(), TrainError> {
    let res = std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .and_then(|_| std::fs::rename(tmp, path));
    if let Err(e) = res {
        let _ = std::fs::remove_file(tmp);
        return Err(TrainError::io(path, e));
    }
    Ok(())
}

/// Write `bytes` to `path` atomically: temporary file in the same folder, fsync, rename.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = temp_path(path, "tmp");
    let res = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(TrainError::io(path, e));
    }
    commit_temp(&tmp, path)
}
