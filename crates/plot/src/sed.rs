//! Sound event detection pictures (train/eval -> **reports** -> pictures for people; drawn
//! here, in hark-plot, beside the flow): how event F1, segment F1, the miss rate and false
//! alarms per hour change as the event onset threshold rises, over long recordings. hark-eval
//! passes its sweep as [`SedSweepPoint`]s.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{AXIS_TITLE_PX, FONT, MARGIN, PlotError, TITLE_PX, encode_png};

/// Size of the sound event detection sweep picture, pixels (two panels, one above the other).
pub const SED_SWEEP_SIZE: (u32, u32) = (900, 760);

/// One onset threshold of a sweep, for [`sed_sweep_png`]. A `None` (undefined: no reference
/// or no detected events) leaves a gap in that curve.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SedSweepPoint {
    /// Smoothed probability at which an event starts (the x axis), `[0, 1]`.
    pub onset: f32,
    /// Event-based F1, `[0, 1]`.
    pub event_f1: Option<f64>,
    /// Segment-based F1, `[0, 1]`.
    pub segment_f1: Option<f64>,
    /// Share of reference events missed, `[0, 1]`.
    pub miss_rate: Option<f64>,
    /// Detections matching no reference event, per hour of audio (>= 0).
    pub false_alarms_per_hour: Option<f64>,
}

/// Reads one curve's value from a sweep point.
type Value = fn(&SedSweepPoint) -> Option<f64>;

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
type DrawErr = DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

const EVENT: RGBColor = RGBColor(31, 119, 180);
const SEGMENT: RGBColor = RGBColor(44, 160, 44);
const MISS: RGBColor = RGBColor(230, 120, 20);
const ALARMS: RGBColor = RGBColor(110, 60, 160);

/// The upper panel: event F1, segment F1 and miss rate (0 to 100%); the lower panel: false
/// alarms per hour from 0 to a little above the largest. x is the onset threshold from 0 to
/// 1 in both. `operating` (the onset in use) is a red vertical line with its value, as PNG
/// bytes of [`SED_SWEEP_SIZE`] pixels. An empty sweep gives empty axes.
///
/// # Errors
/// [`PlotError::Draw`] if plotters or the PNG encoder fails.
pub fn sed_sweep_png(
    sweep: &[SedSweepPoint],
    operating: Option<f32>,
) -> Result<Vec<u8>, PlotError> {
    crate::init();
    let (width, height) = SED_SWEEP_SIZE;
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    let mut pts = sweep.to_vec();
    pts.sort_by(|a, b| a.onset.total_cmp(&b.onset));
    {
        let err = PlotError::draw("event detection sweep");
        let root = BitMapBackend::with_buffer(&mut rgb, SED_SWEEP_SIZE).into_drawing_area();
        draw(&root, &pts, operating).map_err(&err)?;
        root.present().map_err(&err)?;
    }
    encode_png(&rgb, SED_SWEEP_SIZE)
}

/// Runs of consecutive defined values of one curve (an undefined value breaks the line).
fn runs(pts: &[SedSweepPoint], f: impl Fn(&SedSweepPoint) -> Option<f64>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for p in pts {
        match f(p).filter(|v| v.is_finite()) {
            Some(v) => out
                .last_mut()
                .expect("never empty")
                .push((f64::from(p.onset), v)),
            None if out.last().is_some_and(|r| !r.is_empty()) => out.push(Vec::new()),
            None => {}
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// The top of the false-alarm axis: 10% above the largest value, at least 1 per hour.
fn alarms_top(pts: &[SedSweepPoint]) -> f64 {
    let max = pts
        .iter()
        .filter_map(|p| p.false_alarms_per_hour)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    (max * 1.1).max(1.0)
}

fn draw(root: &Area<'_>, pts: &[SedSweepPoint], operating: Option<f32>) -> Result<(), DrawErr> {
    root.fill(&WHITE)?;
    let root = root.titled(
        "Event detection as the onset threshold rises",
        (FONT, TITLE_PX),
    )?;
    let (upper, lower) = root.split_vertically(SED_SWEEP_SIZE.1 as i32 * 3 / 5);
    let curves: [(&str, RGBColor, Value); 3] = [
        ("event F1", EVENT, |p| p.event_f1),
        ("segment F1 (1 s)", SEGMENT, |p| p.segment_f1),
        ("miss rate", MISS, |p| p.miss_rate),
    ];
    let mut chart = ChartBuilder::on(&upper)
        .margin(MARGIN)
        .margin_right(3 * MARGIN)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..1.0f64, 0.0..1.0f64)?;
    chart
        .configure_mesh()
        .y_desc("F1, miss rate")
        .label_style((FONT, 13.0))
        .axis_desc_style((FONT, AXIS_TITLE_PX))
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()?;
    for (name, colour, f) in curves {
        let mut first = true;
        for run in runs(pts, f) {
            let series = chart.draw_series(LineSeries::new(run.clone(), colour.stroke_width(2)))?;
            if first {
                series.label(name).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                });
                first = false;
            }
            chart.draw_series(run.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        }
    }
    if let Some(t) = operating {
        chart.draw_series(std::iter::once(PathElement::new(
            [(f64::from(t), 0.0), (f64::from(t), 1.0)],
            RED.stroke_width(2),
        )))?;
        let style = TextStyle::from((FONT, 14.0).into_font())
            .color(&RED)
            .pos(Pos::new(HPos::Left, VPos::Top));
        chart.draw_series(std::iter::once(Text::new(
            format!("onset in use: {t:.2}"),
            (f64::from(t) + 0.01, 0.98),
            style,
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 13.0))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .draw()?;

    let top = alarms_top(pts);
    let mut chart = ChartBuilder::on(&lower)
        .margin(MARGIN)
        .margin_right(3 * MARGIN)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..1.0f64, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("onset threshold (smoothed probability at which an event starts)")
        .y_desc("false alarms / hour")
        .label_style((FONT, 13.0))
        .axis_desc_style((FONT, AXIS_TITLE_PX))
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()?;
    for run in runs(pts, |p| p.false_alarms_per_hour) {
        chart.draw_series(LineSeries::new(run.clone(), ALARMS.stroke_width(2)))?;
        chart.draw_series(run.iter().map(|&p| Circle::new(p, 3, ALARMS.filled())))?;
    }
    if let Some(t) = operating {
        chart.draw_series(std::iter::once(PathElement::new(
            [(f64::from(t), 0.0), (f64::from(t), top)],
            RED.stroke_width(2),
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(onset: f32, f1: Option<f64>, fa: Option<f64>) -> SedSweepPoint {
        SedSweepPoint {
            onset,
            event_f1: f1,
            segment_f1: f1,
            miss_rate: f1.map(|v| 1.0 - v),
            false_alarms_per_hour: fa,
        }
    }

    #[test]
    fn undefined_values_break_a_curve_into_runs() {
        let pts = [
            point(0.1, Some(0.5), Some(10.0)),
            point(0.2, None, Some(5.0)),
            point(0.3, Some(0.7), None),
            point(0.4, Some(0.8), Some(0.0)),
        ];
        let r = runs(&pts, |p| p.event_f1);
        assert_eq!(
            r,
            vec![
                vec![(0.1f32 as f64, 0.5)],
                vec![(0.3f32 as f64, 0.7), (0.4f32 as f64, 0.8)]
            ]
        );
        assert_eq!(runs(&pts, |p| p.false_alarms_per_hour).len(), 2);
        assert!(runs(&[], |p| p.event_f1).is_empty());
    }

    #[test]
    fn false_alarm_axis_covers_the_largest_value() {
        let pts = [point(0.1, None, Some(40.0)), point(0.5, None, Some(2.0))];
        assert!((alarms_top(&pts) - 44.0).abs() < 1e-9);
        assert_eq!(alarms_top(&[point(0.1, None, Some(0.0))]), 1.0);
    }

    #[test]
    fn draws_a_png_of_the_documented_size() {
        let pts = [
            point(0.1, Some(0.4), Some(120.0)),
            point(0.5, Some(0.9), Some(3.0)),
            point(0.9, None, None),
        ];
        for (sweep, op) in [(&pts[..], Some(0.5)), (&[][..], None)] {
            let png = sed_sweep_png(sweep, op).expect("draw");
            let decoder = png::Decoder::new(std::io::Cursor::new(png));
            let reader = decoder.read_info().expect("decodes");
            let info = reader.info();
            assert_eq!((info.width, info.height), SED_SWEEP_SIZE);
        }
    }
}
