//! Training curves (train stage output): the epoch history as CSV and as a three-panel PNG
//! (loss, window accuracy, learning rate; train vs validation; the best epoch marked; drawn
//! by hark-plot). Both are written atomically.

use std::io::Write;
use std::path::Path;

use crate::{EpochStats, TrainError};

/// CSV header of [`write_history_csv`].
pub const HISTORY_CSV_HEADER: &str =
    "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,windows_per_sec";

/// Write one row per epoch (`HISTORY_CSV_HEADER` columns; empty cells when no validation).
pub fn write_history_csv(path: &Path, history: &[EpochStats]) -> Result<(), TrainError> {
    let mut out = Vec::new();
    let opt = |v: Option<f32>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    let _ = writeln!(out, "{HISTORY_CSV_HEADER}");
    for s in history {
        let _ = writeln!(
            out,
            "{},{:.6},{:.6},{},{},{:e},{:.3},{:.1}",
            s.epoch,
            s.train_loss,
            s.train_acc,
            opt(s.val_loss),
            opt(s.val_acc),
            s.lr,
            s.seconds,
            s.windows_per_sec
        );
    }
    hark_io::write_atomic(path, &out).map_err(|e| TrainError::io(path, e))
}

/// Draw loss, window accuracy and learning rate per epoch, training in blue and validation in
/// orange, into a PNG written atomically. `best_epoch` (the epoch whose weights were kept; 0
/// for none) is marked, and `val_clip_accuracy` (the kept model's validation accuracy over
/// whole clips, which `hark train` prints) is drawn there beside the window accuracies. The
/// drawing lives in hark-plot ([`hark_plot::render_history_png`]).
pub fn render_history_png(
    path: &Path,
    history: &[EpochStats],
    best_epoch: usize,
    val_clip_accuracy: Option<f64>,
) -> Result<(), TrainError> {
    let points: Vec<hark_plot::EpochPoint> = history
        .iter()
        .map(|s| hark_plot::EpochPoint {
            epoch: s.epoch,
            train_loss: s.train_loss,
            train_acc: s.train_acc,
            val_loss: s.val_loss,
            val_acc: s.val_acc,
            lr: s.lr,
        })
        .collect();
    let marks = hark_plot::HistoryMarks {
        best_epoch: (best_epoch > 0).then_some(best_epoch),
        val_clip_accuracy: val_clip_accuracy.map(|a| a as f32),
    };
    hark_plot::render_history_png(path, &points, &marks).map_err(|e| TrainError::Plot {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
