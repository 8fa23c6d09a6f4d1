//! Training-curve pictures (model -> **train** -> pictures for people; drawn here, in
//! hark-plot, beside the flow): loss and accuracy per epoch, training against validation, as a
//! two-panel PNG. hark-train turns its epoch history into [`EpochPoint`]s and calls in here.

use std::path::Path;

use plotters::prelude::*;

use crate::{FONT, PlotError, encode_png, write_png};

/// Size of the training-curves picture, pixels.
pub const HISTORY_SIZE: (u32, u32) = (1000, 400);

/// One epoch of a training run, as drawn by [`history_png`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EpochPoint {
    /// 1-based epoch number (the x axis).
    pub epoch: usize,
    /// Mean training loss of the epoch.
    pub train_loss: f32,
    /// Training accuracy in `[0, 1]`.
    pub train_acc: f32,
    /// Validation loss, when a validation set was used.
    pub val_loss: Option<f32>,
    /// Validation accuracy in `[0, 1]`, when a validation set was used.
    pub val_acc: Option<f32>,
}

/// Loss (left) and accuracy (right) per epoch, training in blue and validation in orange (only
/// when present), as PNG bytes of [`HISTORY_SIZE`] pixels. An empty history gives empty axes.
///
/// # Errors
/// [`PlotError::Draw`] if plotters or the encoder fails.
pub fn history_png(history: &[EpochPoint]) -> Result<Vec<u8>, PlotError> {
    crate::init();
    let mut rgb = vec![255u8; HISTORY_SIZE.0 as usize * HISTORY_SIZE.1 as usize * 3];
    {
        let err = PlotError::draw("training curves");
        let root = BitMapBackend::with_buffer(&mut rgb, HISTORY_SIZE).into_drawing_area();
        draw(&root, history).map_err(&err)?;
        root.present().map_err(&err)?;
    }
    encode_png(&rgb, HISTORY_SIZE)
}

/// [`history_png`] written atomically to `path` (see [`write_png`]).
///
/// # Errors
/// As [`history_png`], and [`PlotError::Write`] naming `path`.
pub fn render_history_png(path: &Path, history: &[EpochPoint]) -> Result<(), PlotError> {
    write_png(path, &history_png(history)?)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
type DrawErr = DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// (title, y maximum, training series, validation series).
type Panel = (&'static str, f64, Vec<(f64, f64)>, Vec<(f64, f64)>);

fn draw(root: &Area<'_>, history: &[EpochPoint]) -> Result<(), DrawErr> {
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
    let series = |f: &dyn Fn(&EpochPoint) -> Option<f32>| -> Vec<(f64, f64)> {
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
            .caption(name, (FONT, 20))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(0.5..n + 0.5, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .label_style((FONT, 13))
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
            .label_font((FONT, 13))
            .draw()?;
    }
    Ok(())
}
