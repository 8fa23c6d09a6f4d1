//! Report pictures: confusion-matrix heat map and precision/coverage curve, rendered to
//! PNG bytes in memory (so the HTML report can embed them). Flow: train/eval -> **reports**.

use hark_plot::plotters::prelude::*;
use hark_plot::plotters::style::FontTransform;
use hark_plot::plotters::style::text_anchor::{HPos, Pos, VPos};
use hark_plot::{FONT, colormap};

use crate::error::EvalError;
use crate::metrics::ConfusionMatrix;
use crate::threshold::ThresholdPoint;

/// Longest class name drawn in full; longer names are cut and end in "…".
pub const MAX_LABEL_CHARS: usize = 22;
/// Size of the precision/coverage picture, pixels.
pub const COVERAGE_SIZE: (u32, u32) = (900, 560);

const MARGIN: i32 = 16;
const TITLE_PX: f64 = 20.0;
const AXIS_TITLE_PX: f64 = 16.0;
/// Gap between the class columns and the "unknown" column, pixels.
const UNKNOWN_GAP: i32 = 8;
const BAR_W: i32 = 16;

fn draw_err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> EvalError {
    move |e| EvalError::Draw {
        what,
        message: e.to_string(),
    }
}

/// Cut a label to [`MAX_LABEL_CHARS`] characters, ending in "…" when cut.
pub fn abbreviate(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// Width in pixels of `text` in the bundled font (falls back to an estimate).
fn text_width(text: &str, px: f64) -> i32 {
    match (FONT, px).into_font().box_size(text) {
        Ok((w, _)) => w as i32,
        Err(_) => (text.chars().count() as f64 * px * 0.6) as i32,
    }
}

/// Encode an RGB8 buffer as PNG.
fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, EvalError> {
    let mut out = Vec::new();
    let err = |e: png::EncodingError| EvalError::Draw {
        what: "PNG encoding",
        message: e.to_string(),
    };
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Best);
    enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = enc.write_header().map_err(err)?;
    writer.write_image_data(rgb).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

/// Black or white, whichever reads better on `bg`.
fn contrasting(bg: RGBColor) -> RGBColor {
    let lum = 0.2126 * f64::from(bg.0) + 0.7152 * f64::from(bg.1) + 0.0722 * f64::from(bg.2);
    if lum > 140.0 { BLACK } else { WHITE }
}

/// Confusion-matrix heat map as PNG bytes.
///
/// Rows are true classes, columns predicted classes (plus "unknown" after a gap when
/// present). Colour is the row-normalised share (share of the true class's clips), so
/// rare classes are as visible as common ones; cells show the raw counts in black or
/// white for contrast. Class names longer than [`MAX_LABEL_CHARS`] are cut; column
/// names are rotated. The picture grows with the class count (cells 18 to 64 px).
///
/// # Errors
/// [`EvalError::Draw`] if plotters or the PNG encoder fails.
pub fn render_confusion_png(cm: &ConfusionMatrix, title: &str) -> Result<Vec<u8>, EvalError> {
    hark_plot::init();
    let n = cm.n_classes();
    let cols = cm.column_labels();
    let n_cols = cols.len();
    let cell = (720 / n.max(1) as i32).clamp(18, 64);
    let label_px = (f64::from(cell) * 0.6).clamp(11.0, 15.0);
    let count_px = (f64::from(cell) * 0.4).clamp(9.0, 16.0);
    let row_labels: Vec<String> = cm.classes.iter().map(|c| abbreviate(c)).collect();
    let col_labels: Vec<String> = cols.iter().map(|c| abbreviate(c)).collect();
    let max_w = |ls: &[String]| {
        ls.iter()
            .map(|l| text_width(l, label_px))
            .max()
            .unwrap_or(0)
    };
    let gap = if cm.unknown.is_some() { UNKNOWN_GAP } else { 0 };
    let grid_w = n_cols as i32 * cell + gap;
    let grid_h = n as i32 * cell;

    let left = MARGIN + AXIS_TITLE_PX as i32 + 10 + max_w(&row_labels) + 8;
    let top = MARGIN + TITLE_PX as i32 + 20;
    let bottom = 8 + max_w(&col_labels) + 10 + AXIS_TITLE_PX as i32 + MARGIN;
    let right = 20 + BAR_W + 6 + text_width("100%", 12.0) + MARGIN;
    let title_w = text_width(title, TITLE_PX) + 2 * MARGIN;
    let width = (left + grid_w + right).max(title_w).max(320) as u32;
    let height = (top + grid_h + bottom) as u32;

    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        let e = draw_err("confusion matrix");
        root.fill(&WHITE).map_err(&e)?;
        let centre = Pos::new(HPos::Center, VPos::Center);
        let title_style =
            TextStyle::from((FONT, TITLE_PX).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(
            title.to_string(),
            (width as i32 / 2, MARGIN),
            title_style,
        ))
        .map_err(&e)?;

        let col_x = |c: usize| left + c as i32 * cell + if c >= n { gap } else { 0 };
        for (t, row_label) in row_labels.iter().enumerate() {
            let row = cm.row(t);
            let total: usize = row.iter().sum();
            let y = top + t as i32 * cell;
            for (c, &count) in row.iter().enumerate() {
                let x = col_x(c);
                let share = if total == 0 {
                    0.0
                } else {
                    count as f64 / total as f64
                };
                let colour = colormap(share);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    colour.filled(),
                ))
                .map_err(&e)?;
                let text = count.to_string();
                let fits = text_width(&text, count_px) <= cell - 2;
                if fits && (count > 0 || cell >= 30) {
                    let ink = contrasting(colour);
                    let style = TextStyle::from((FONT, count_px).into_font())
                        .color(&ink)
                        .pos(centre);
                    root.draw(&Text::new(text, (x + cell / 2, y + cell / 2), style))
                        .map_err(&e)?;
                }
            }
            let style = TextStyle::from((FONT, label_px).into_font())
                .pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(
                row_label.clone(),
                (left - 8, y + cell / 2),
                style,
            ))
            .map_err(&e)?;
        }
        // Thin outline on the diagonal (correct answers), over the finished grid.
        for t in 0..n {
            let (d, y) = (col_x(t), top + t as i32 * cell);
            root.draw(&Rectangle::new(
                [(d, y), (d + cell, y + cell)],
                RGBColor(230, 230, 230).stroke_width(1),
            ))
            .map_err(&e)?;
        }
        // Column labels, rotated to read bottom-to-top, hanging below the grid.
        let col_style = TextStyle::from((FONT, label_px).into_font())
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (c, label) in col_labels.iter().enumerate() {
            root.draw(&Text::new(
                label.clone(),
                (col_x(c) + cell / 2, top + grid_h + 8),
                col_style.clone(),
            ))
            .map_err(&e)?;
        }
        let axis = TextStyle::from((FONT, AXIS_TITLE_PX).into_font()).pos(centre);
        let predicted_y = height as i32 - MARGIN - AXIS_TITLE_PX as i32 / 2;
        root.draw(&Text::new(
            "predicted class",
            (left + grid_w / 2, predicted_y),
            axis.clone(),
        ))
        .map_err(&e)?;
        let true_x = MARGIN + AXIS_TITLE_PX as i32 / 2;
        root.draw(&Text::new(
            "true class",
            (true_x, top + grid_h / 2),
            axis.transform(FontTransform::Rotate270),
        ))
        .map_err(&e)?;

        // Colour bar: share of the true class's clips, 0% (bottom) to 100% (top).
        let bx = left + grid_w + 20;
        let steps = grid_h.max(1);
        for i in 0..steps {
            let share = 1.0 - f64::from(i) / f64::from(steps);
            let y = top + i;
            root.draw(&Rectangle::new(
                [(bx, y), (bx + BAR_W, y + 1)],
                colormap(share).filled(),
            ))
            .map_err(&e)?;
        }
        let small =
            TextStyle::from((FONT, 12.0).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new("100%", (bx + BAR_W + 6, top + 6), small.clone()))
            .map_err(&e)?;
        root.draw(&Text::new("0%", (bx + BAR_W + 6, top + grid_h - 6), small))
            .map_err(&e)?;
        let bar_title =
            TextStyle::from((FONT, 12.0).into_font()).pos(Pos::new(HPos::Left, VPos::Bottom));
        root.draw(&Text::new("row share", (bx - 4, top - 4), bar_title))
            .map_err(&e)?;
        root.present().map_err(&e)?;
    }
    encode_png(&rgb, (width, height))
}

/// Precision (accuracy of answered clips) against coverage (fraction answered) as PNG
/// bytes, [`COVERAGE_SIZE`] pixels. A few points are labelled with their threshold;
/// `chosen` (the threshold in use, if any) is marked in red.
///
/// # Errors
/// [`EvalError::Draw`] if plotters or the PNG encoder fails.
pub fn render_coverage_png(
    sweep: &[ThresholdPoint],
    chosen: Option<f32>,
) -> Result<Vec<u8>, EvalError> {
    hark_plot::init();
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
        let e = draw_err("precision/coverage curve");
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
