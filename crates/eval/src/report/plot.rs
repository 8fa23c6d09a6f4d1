//! Report pictures: the confusion matrix and the precision/coverage curve as PNG bytes, for the
//! HTML report and the PNG files. Flow: train/eval -> **reports**; the drawing itself lives in
//! hark-plot (beside the flow), which takes plain data: this module only hands it over.

use crate::error::EvalError;
use crate::metrics::{ConfusionMatrix, UNKNOWN_LABEL};
use crate::threshold::ThresholdPoint;

pub use hark_plot::{COVERAGE_SIZE, MAX_LABEL_CHARS, abbreviate};

fn draw_err(what: &'static str) -> impl Fn(hark_plot::PlotError) -> EvalError {
    move |e| EvalError::Draw {
        what,
        message: e.to_string(),
    }
}

/// Confusion-matrix heat map as PNG bytes ([`hark_plot::confusion_png`]): rows are true
/// classes, columns predicted classes, then "unknown" after a gap when present.
///
/// # Errors
/// [`EvalError::Draw`] if the matrix is ragged or drawing fails.
pub fn render_confusion_png(cm: &ConfusionMatrix, title: &str) -> Result<Vec<u8>, EvalError> {
    let data = hark_plot::ConfusionData {
        classes: &cm.classes,
        counts: &cm.counts,
        extra_column: cm.unknown.as_deref().map(|u| (UNKNOWN_LABEL, u)),
    };
    hark_plot::confusion_png(&data, title).map_err(draw_err("confusion matrix"))
}

/// Precision against coverage as PNG bytes, [`COVERAGE_SIZE`] pixels
/// ([`hark_plot::coverage_png`]); `chosen` (the threshold in use, if any) is marked in red.
///
/// # Errors
/// [`EvalError::Draw`] if drawing fails.
pub fn render_coverage_png(
    sweep: &[ThresholdPoint],
    chosen: Option<f32>,
) -> Result<Vec<u8>, EvalError> {
    let points: Vec<hark_plot::CoveragePoint> = sweep
        .iter()
        .map(|p| hark_plot::CoveragePoint {
            threshold: p.threshold,
            precision: p.precision,
            coverage: p.coverage,
        })
        .collect();
    hark_plot::coverage_png(&points, chosen).map_err(draw_err("precision/coverage curve"))
}
