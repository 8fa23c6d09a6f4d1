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

/// A threshold as people can tell thresholds apart: 4 significant digits (`0.5000`,
/// `0.9873`, `0.01234`), or, from 0.999 up, as one minus a small number to 4 significant
/// digits (`1-2.346e-5`), since a confident model's thresholds all round to `1.00`.
/// Exactly 1 is `1`.
pub fn format_threshold(t: f32) -> String {
    let t = f64::from(t);
    if !t.is_finite() {
        return t.to_string();
    }
    if t >= 1.0 {
        return "1".into();
    }
    let rest = 1.0 - t;
    if rest <= 1e-3 {
        return format!("1-{rest:.3e}");
    }
    if t <= 0.0 {
        return "0".into();
    }
    // Digits after the point for 4 significant digits.
    let decimals = (3 - t.log10().floor() as i32).max(0) as usize;
    format!("{t:.decimals$}")
}

/// The axes of the picture: coverage over [0, 1]; precision from a round tenth below the
/// lowest point (at most 0.9, at least 0) up to 1. Neither runs past 100%.
fn axes(pts: &[(f64, f64, f32)]) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let y_min = pts.iter().map(|p| p.1).fold(1.0f64, f64::min);
    let y_lo = ((y_min - 0.05).clamp(0.0, 0.9) * 10.0).floor() / 10.0;
    (0.0..1.0, y_lo..1.0)
}

/// Precision (accuracy of answered clips) against coverage (fraction answered) as PNG
/// bytes, [`COVERAGE_SIZE`] pixels. Both axes run to 100% at most. A few points are
/// labelled with their threshold ([`format_threshold`]); `chosen` (the threshold in use,
/// if any) is marked in red.
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
    let (x_range, y_range) = axes(&pts);
    let y_lo = y_range.start;
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
            .margin_right(3 * MARGIN)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, y_range)
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
        // Above the point, or below it near the top edge (the labels stay inside the axes).
        let above =
            TextStyle::from((FONT, 12.0).into_font()).pos(Pos::new(HPos::Left, VPos::Bottom));
        let below = above.pos(Pos::new(HPos::Left, VPos::Top));
        let near_top = 1.0 - 0.05 * (1.0 - y_lo);
        let k = pts.len().div_ceil(6).max(1);
        for p in pts.iter().step_by(k) {
            let (style, dy) = if p.1 >= near_top {
                (&below, 6)
            } else {
                (&above, -4)
            };
            let label = EmptyElement::at((p.0, p.1))
                + Text::new(
                    format!("t={}", format_threshold(p.2)),
                    (4, dy),
                    style.clone(),
                );
            chart.draw_series(std::iter::once(label)).map_err(&e)?;
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
                + Text::new(
                    format!("threshold in use: {}", format_threshold(t)),
                    // Below the row of threshold labels drawn under points near the top.
                    (-10, 24),
                    style,
                );
            chart.draw_series(std::iter::once(marker)).map_err(&e)?;
        }
        root.present().map_err(&e)?;
    }
    encode_png(&rgb, (width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_keep_four_significant_digits_or_read_as_one_minus_p() {
        assert_eq!(format_threshold(0.5), "0.5000");
        assert_eq!(format_threshold(0.98734), "0.9873");
        assert_eq!(format_threshold(0.012341), "0.01234");
        assert_eq!(format_threshold(0.9995), "1-5.000e-4");
        // Confident thresholds that all printed as 1.00 before stay apart.
        let (a, b) = (format_threshold(0.99998), format_threshold(0.999_99));
        assert!(a.starts_with("1-2.") && b.starts_with("1-1."), "{a} {b}");
        assert_eq!(format_threshold(1.0), "1");
        assert_eq!(format_threshold(0.0), "0");
    }

    #[test]
    fn axes_stop_at_one_hundred_percent() {
        let (x, y) = axes(&[(1.0, 1.0, 0.9), (0.5, 0.62, 0.5)]);
        assert_eq!((x.start, x.end), (0.0, 1.0));
        assert_eq!(y.end, 1.0);
        assert!((y.start - 0.5).abs() < 1e-9, "{y:?}");
        // All points at 100%: the y axis still shows a span below.
        let (_, y) = axes(&[(1.0, 1.0, 0.9)]);
        assert!(y.start <= 0.9 && y.end == 1.0, "{y:?}");
    }
}
