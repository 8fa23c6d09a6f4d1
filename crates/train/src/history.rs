//! Training curves (train stage output): the epoch history as CSV and as a two-panel PNG
//! (loss, accuracy; train vs validation). Both are written atomically.

use std::io::Write;
use std::path::Path;

use hark_plot::plotters::prelude::*;

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

/// Draw loss (left) and accuracy (right) per epoch, training in blue and validation in
/// orange, into a 1000x400 PNG.
pub fn render_history_png(path: &Path, history: &[EpochStats]) -> Result<(), TrainError> {
    hark_plot::init();
    let err = |e: &dyn std::fmt::Display| TrainError::Plot {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let tmp = temp_path(path, "png");
    {
        let root = BitMapBackend::new(&tmp, (1000, 400)).into_drawing_area();
        draw(&root, history).map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    commit_temp(&tmp, path)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, hark_plot::plotters::coord::Shift>;
type DrawErr = DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// (title, y maximum, training series, validation series).
type Panel = (&'static str, f64, Vec<(f64, f64)>, Vec<(f64, f64)>);

fn draw(root: &Area<'_>, history: &[EpochStats]) -> Result<(), DrawErr> {
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 2));
    let n = history.len().max(1) as f64;
    let loss_max = history
        .iter()
        .flat_map(|s| [Some(s.train_loss), s.val_loss])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max)
        .max(1e-3) as f64;
    let series = |f: &dyn Fn(&EpochStats) -> Option<f32>| -> Vec<(f64, f64)> {
        history
            .iter()
            .filter_map(|s| f(s).map(|v| (s.epoch as f64, v as f64)))
            .collect()
    };
    let orange = RGBColor(230, 120, 20);
    let specs: [Panel; 2] = [
        (
            "loss (cross-entropy)",
            loss_max * 1.05,
            series(&|s| Some(s.train_loss)),
            series(&|s| s.val_loss),
        ),
        (
            "accuracy",
            1.0,
            series(&|s| Some(s.train_acc)),
            series(&|s| s.val_acc),
        ),
    ];
    for (area, (name, y_max, tr, va)) in panels.iter().zip(specs) {
        let mut chart = ChartBuilder::on(area)
            .caption(name, (hark_plot::FONT, 20))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(0.5..n + 0.5, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .label_style((hark_plot::FONT, 13))
            .draw()?;
        chart
            .draw_series(LineSeries::new(tr, BLUE.stroke_width(2)))?
            .label("train")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        if !va.is_empty() {
            chart
                .draw_series(LineSeries::new(va, orange.stroke_width(2)))?
                .label("validation")
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], orange.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font((hark_plot::FONT, 13))
            .draw()?;
    }
    Ok(())
}

/// Hidden temporary path next to `path` (same folder, so the final rename is atomic).
fn temp_path(path: &Path, ext: &str) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.tmp{}.{ext}", std::process::id()))
}

/// fsync `tmp` and rename it over `path`; removes `tmp` on failure.
fn commit_temp(tmp: &Path, path: &Path) -> Result<(), TrainError> {
    let res = std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .and_then(|_| std::fs::rename(tmp, path));
    if let Err(e) = res {
        let _ = std::fs::remove_file(tmp);
        return Err(TrainError::io(path, e));
    }
    Ok(())
}
