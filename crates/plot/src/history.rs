//! Training-curve pictures (model -> **train** -> pictures for people; drawn here, in
//! hark-plot, beside the flow): loss, window accuracy and learning rate per epoch, training
//! against validation, as a three-panel PNG with the best epoch marked. hark-train turns its
//! epoch history into [`EpochPoint`]s and calls in here.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{FONT, PlotError, encode_png, write_png};

/// Size of the training-curves picture, pixels.
pub const HISTORY_SIZE: (u32, u32) = (1500, 440);
/// Most epoch ticks on an x axis; longer runs tick every 2, 5, 10, 20... epochs.
pub const MAX_EPOCH_TICKS: usize = 12;

/// One epoch of a training run, as drawn by [`history_png`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EpochPoint {
    /// 1-based epoch number (the x axis).
    pub epoch: usize,
    /// Mean training loss of the epoch.
    pub train_loss: f32,
    /// Training window accuracy in `[0, 1]`.
    pub train_acc: f32,
    /// Validation loss, when a validation set was used.
    pub val_loss: Option<f32>,
    /// Validation window accuracy in `[0, 1]`, when a validation set was used.
    pub val_acc: Option<f32>,
    /// Learning rate of the epoch (not drawn when 0 or not finite).
    pub lr: f64,
}

/// What [`history_png`] marks on top of the curves.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HistoryMarks {
    /// The epoch whose weights were kept: a dashed line in every panel.
    pub best_epoch: Option<usize>,
    /// Validation **clip** accuracy of the kept model (what the training log prints), drawn
    /// at the best epoch beside the window-accuracy curves.
    pub val_clip_accuracy: Option<f32>,
}

/// Epoch numbers to tick on an axis of `n` epochs: every `step` epochs, `step` the smallest of
/// 1, 2, 5, 10, 20, 50... giving at most [`MAX_EPOCH_TICKS`] ticks. Always whole numbers.
pub fn epoch_ticks(n: usize) -> Vec<f64> {
    let n = n.max(1);
    let mut step = 1usize;
    let mut k = 0;
    while n.div_ceil(step) > MAX_EPOCH_TICKS {
        step = [2, 5, 10][k % 3] * 10usize.pow((k / 3) as u32);
        k += 1;
    }
    // Steps of 1 and 2 count from epoch 1; longer ones tick epoch 1, then round numbers.
    let first = if step <= 2 { 1 } else { step };
    std::iter::once(1)
        .filter(|_| step > 2)
        .chain((first..=n).step_by(step))
        .map(|e| e as f64)
        .collect()
}

/// Loss, window accuracy and learning rate per epoch (three panels), training in blue and
/// validation in orange (only when present), the best epoch dashed, as PNG bytes of
/// [`HISTORY_SIZE`] pixels. An empty history gives empty axes.
///
/// # Errors
/// [`PlotError::Draw`] if plotters or the encoder fails.
pub fn history_png(history: &[EpochPoint], marks: &HistoryMarks) -> Result<Vec<u8>, PlotError> {
    crate::init();
    let mut rgb = vec![255u8; HISTORY_SIZE.0 as usize * HISTORY_SIZE.1 as usize * 3];
    {
        let err = PlotError::draw("training curves");
        let root = BitMapBackend::with_buffer(&mut rgb, HISTORY_SIZE).into_drawing_area();
        draw(&root, history, marks).map_err(&err)?;
        root.present().map_err(&err)?;
    }
    encode_png(&rgb, HISTORY_SIZE)
}

/// [`history_png`] written atomically to `path` (see [`write_png`]).
///
/// # Errors
/// As [`history_png`], and [`PlotError::Write`] naming `path`.
pub fn render_history_png(
    path: &Path,
    history: &[EpochPoint],
    marks: &HistoryMarks,
) -> Result<(), PlotError> {
    write_png(path, &history_png(history, marks)?)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
type DrawErr = DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

const ORANGE: RGBColor = RGBColor(230, 120, 20);
const BEST: RGBColor = RGBColor(90, 90, 90);

fn series(history: &[EpochPoint], f: &dyn Fn(&EpochPoint) -> Option<f64>) -> Vec<(f64, f64)> {
    history
        .iter()
        .filter_map(|s| f(s).filter(|v| v.is_finite()).map(|v| (s.epoch as f64, v)))
        .collect()
}

/// x axis from 0.5 to `n + 0.5` epochs, ticked at [`epoch_ticks`] only.
struct EpochAxis {
    n: f64,
    ticks: Vec<f64>,
}

fn x_axis(n: usize) -> EpochAxis {
    EpochAxis {
        n: n.max(1) as f64,
        ticks: epoch_ticks(n),
    }
}

impl Ranged for EpochAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let frac = (value - 0.5) / self.n;
        limit.0 + (frac * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.5..self.n + 0.5
    }
}

fn draw(root: &Area<'_>, history: &[EpochPoint], marks: &HistoryMarks) -> Result<(), DrawErr> {
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 3));
    let n = history.iter().map(|s| s.epoch).max().unwrap_or(1);
    let loss_max = history
        .iter()
        .flat_map(|s| [Some(s.train_loss), s.val_loss])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max)
        .max(1e-3) as f64;
    let curves = [
        (
            "loss (cross-entropy)",
            loss_max * 1.05,
            series(history, &|s| Some(f64::from(s.train_loss))),
            series(history, &|s| s.val_loss.map(f64::from)),
            None,
        ),
        (
            "window accuracy",
            1.0,
            series(history, &|s| Some(f64::from(s.train_acc))),
            series(history, &|s| s.val_acc.map(f64::from)),
            marks.val_clip_accuracy,
        ),
    ];
    for (area, (name, y_max, tr, va, clip)) in panels.iter().zip(curves) {
        let mut chart = ChartBuilder::on(area)
            .caption(name, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x_axis(n), 0.0..y_max)?;
        let percent = |v: &f64| format!("{:.0}%", v * 100.0);
        let plain = |v: &f64| format!("{v:.2}");
        let y_fmt: &dyn Fn(&f64) -> String = if y_max == 1.0 { &percent } else { &plain };
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(y_fmt)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()?;
        if let Some(b) = marks.best_epoch {
            best_line(&mut chart, b, 0.0, y_max)?;
        }
        chart
            .draw_series(LineSeries::new(tr, BLUE.stroke_width(2)))?
            .label("train")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        if !va.is_empty() {
            chart
                .draw_series(LineSeries::new(va, ORANGE.stroke_width(2)))?
                .label("validation")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], ORANGE.stroke_width(2)));
        }
        if let (Some(acc), Some(b)) = (clip, marks.best_epoch) {
            let acc = f64::from(acc).clamp(0.0, 1.0);
            chart
                .draw_series(std::iter::once(TriangleMarker::new(
                    (b as f64, acc),
                    7,
                    ORANGE.filled(),
                )))?
                .label(format!(
                    "validation clip accuracy {:.1}% (best epoch)",
                    acc * 100.0
                ))
                .legend(|(x, y)| TriangleMarker::new((x + 9, y), 6, ORANGE.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .draw()?;
    }
    lr_panel(&panels[2], history, n, marks)
}

type Chart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<EpochAxis, plotters::coord::types::RangedCoordf64>,
>;

/// The dashed vertical line at the best epoch, labelled at the top.
fn best_line(chart: &mut Chart<'_, '_>, best: usize, lo: f64, hi: f64) -> Result<(), DrawErr> {
    let x = best as f64;
    let steps = 40;
    let dashes = (0..steps).step_by(2).map(move |i| {
        let a = lo + (hi - lo) * i as f64 / steps as f64;
        let b = lo + (hi - lo) * (i + 1) as f64 / steps as f64;
        PathElement::new([(x, a), (x, b)], BEST.stroke_width(1))
    });
    chart.draw_series(dashes)?;
    // Right of the line, or left of it in the right half (the text stays inside the axes).
    let right_half = chart.x_range().end - x < x - chart.x_range().start;
    let (h, text) = if right_half {
        (HPos::Right, format!("best epoch {best} "))
    } else {
        (HPos::Left, format!(" best epoch {best}"))
    };
    let style = TextStyle::from((FONT, 13).into_font())
        .color(&BEST)
        .pos(Pos::new(h, VPos::Top));
    chart.draw_series(std::iter::once(Text::new(text, (x, hi), style)))?;
    Ok(())
}

/// Learning rate per epoch on a log axis (a schedule's steps are factors): drawn as
/// `log10(lr)` on a linear axis whose labels read as rates, so every tick is labelled.
fn lr_panel(
    area: &Area<'_>,
    history: &[EpochPoint],
    n: usize,
    marks: &HistoryMarks,
) -> Result<(), DrawErr> {
    let lr: Vec<(f64, f64)> = history
        .iter()
        .filter(|s| s.lr.is_finite() && s.lr > 0.0)
        .map(|s| (s.epoch as f64, s.lr.log10()))
        .collect();
    let lo = lr.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = lr.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    // At least half a decade each side, so a constant rate sits mid-panel.
    let (lo, hi) = if lr.is_empty() {
        (-4.0, -2.0)
    } else {
        (lo - 0.25, hi + 0.25)
    };
    let mut chart = ChartBuilder::on(area)
        .caption("learning rate (log scale)", (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(65)
        .build_cartesian_2d(x_axis(n), lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_labels(8)
        .y_label_formatter(&|v| format!("{:.1e}", 10f64.powf(*v)))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()?;
    if let Some(b) = marks.best_epoch {
        best_line(&mut chart, b, lo, hi)?;
    }
    chart.draw_series(LineSeries::new(lr.iter().copied(), BLUE.stroke_width(2)))?;
    if lr.len() <= 60 {
        chart.draw_series(lr.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_ticks_are_whole_epochs_and_few() {
        assert_eq!(epoch_ticks(1), vec![1.0]);
        assert_eq!(epoch_ticks(5), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        for n in [1, 3, 12, 13, 30, 99, 250, 5000] {
            let t = epoch_ticks(n);
            assert!(t.len() <= MAX_EPOCH_TICKS + 1, "{n}: {t:?}");
            assert_eq!(t[0], 1.0, "{n}: {t:?}");
            assert!(
                t.iter().all(|v| v.fract() == 0.0 && *v <= n as f64),
                "{n}: {t:?}"
            );
        }
        assert_eq!(
            epoch_ticks(30),
            vec![1.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
        );
    }
}
