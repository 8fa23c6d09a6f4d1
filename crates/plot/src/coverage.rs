//! Precision/coverage pictures (train/eval -> **reports** -> pictures for people; drawn here, in
//! hark-plot, beside the flow): how accuracy on answered clips trades against the share of
//! clips answered as the "unknown" threshold rises. hark-eval passes its sweep as
//! [`CoveragePoint`]s.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{AXIS_TITLE_PX, FONT, MARGIN, PlotError, TITLE_PX, encode_png};

/// Size of the precision/coverage picture, pixels.
pub const COVERAGE_SIZE: (u32, u32) = (900, 560);

/// One threshold of a precision/coverage sweep, for [`coverage_png`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CoveragePoint {
    /// The threshold: a clip is answered when its top probability is `>= threshold`.
    pub threshold: f32,
    /// Accuracy among answered clips, `[0, 1]`.
    pub precision: f32,
    /// Fraction of all clips answered, `[0, 1]`.
    pub coverage: f32,
}

/// Precision (accuracy of answered clips) against coverage (fraction answered) as PNG
/// bytes, [`COVERAGE_SIZE`] pixels. A few points are labelled with their threshold;
/// `chosen` (the threshold in use, if any) is marked in red.
///
/// # Errors
/// [`PlotError::Draw`] if plotters or the PNG encoder fails.
pub fn coverage_png(sweep: &[CoveragePoint], chosen: Option<f32>) -> Result<Vec<u8>, PlotError> {
    crate::init();
    let (width, height) = COVERAGE_SIZE;
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    let mut pts: Vec<(f64, f64, f32)> = sweep
        .iter()
        .map(|p| (f64::from(p.coverage), f64::from(p.precision), p.threshold))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let y_min = pts.iter().map(|p| p.1).fold(1.0f64, f64::min);
    let y_lo = ((y_min - 0.05).max(0.0) * 10.0).floor() / 10.0;
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        let e = PlotError::draw("precision/coverage curve");
        root.fill(&WHITE).map_err(&e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Precision vs coverage as the unknown threshold rises",
                (FONT, TITLE_PX),
            )
            .margin(MARGIN)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0f64..1.02, y_lo..1.02)
            .map_err(&e)?;
        chart
            .configure_mesh()
            .x_desc("coverage (share of clips answered)")
            .y_desc("precision (accuracy of answered clips)")
            .label_style((FONT, 13.0))
            .axis_desc_style((FONT, AXIS_TITLE_PX))
            .x_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(&e)?;
        let line = RGBColor(31, 119, 180);
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                line.stroke_width(2),
            ))
            .map_err(&e)?;
        if pts.len() <= 60 {
            chart
                .draw_series(
                    pts.iter()
                        .map(|p| Circle::new((p.0, p.1), 3, line.filled())),
                )
                .map_err(&e)?;
        }
        // Label up to 6 points, evenly spread along the curve.
        let label_style =
            TextStyle::from((FONT, 12.0).into_font()).pos(Pos::new(HPos::Left, VPos::Bottom));
        let k = pts.len().div_ceil(6).max(1);
        for p in pts.iter().step_by(k) {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("t={:.2}", p.2),
                    (p.0, p.1),
                    label_style.clone(),
                )))
                .map_err(&e)?;
        }
        // The threshold in use answers clips with top >= t: the point with the smallest
        // threshold >= t describes it.
        if let Some(t) = chosen
            && let Some(p) = pts
                .iter()
                .filter(|p| p.2 >= t)
                .min_by(|a, b| a.2.total_cmp(&b.2))
        {
            let style = TextStyle::from((FONT, 14.0).into_font())
                .color(&RED)
                .pos(Pos::new(HPos::Right, VPos::Top));
            let marker = EmptyElement::at((p.0, p.1))
                + Circle::new((0, 0), 6, RED.filled())
                + Text::new(format!("threshold in use: {t:.2}"), (-10, 10), style);
            chart.draw_series(std::iter::once(marker)).map_err(&e)?;
        }
        root.present().map_err(&e)?;
    }
    encode_png(&rgb, (width, height))
}
