//! Confusion-matrix pictures (train/eval -> **reports** -> pictures for people; drawn here, in
//! hark-plot, beside the flow): a row-normalised heat map with counts, class names and an
//! optional extra column such as "unknown". hark-eval passes its matrix as [`ConfusionData`].

use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{AXIS_TITLE_PX, FONT, MARGIN, PlotError, TITLE_PX, colormap, encode_png};

/// Longest class name drawn in full; longer names are cut and end in "…".
pub const MAX_LABEL_CHARS: usize = 22;

/// Gap between the class columns and the extra ("unknown") column, pixels.
const UNKNOWN_GAP: i32 = 8;
const BAR_W: i32 = 16;

/// A confusion matrix as plain data, for [`confusion_png`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfusionData<'a> {
    /// Class names: the rows (true class) and the first columns (predicted class), in order.
    pub classes: &'a [String],
    /// `counts[true][predicted]`: `classes.len()` rows of `classes.len()` counts.
    pub counts: &'a [Vec<usize>],
    /// An extra column drawn after a gap: its label and one count per true class (e.g. the
    /// clips answered "unknown"); `None` for a plain square matrix.
    pub extra_column: Option<(&'a str, &'a [usize])>,
}

impl ConfusionData<'_> {
    /// Checks that `counts` and the extra column have one entry per class.
    fn check(&self) -> Result<(), PlotError> {
        let n = self.classes.len();
        let bad = |actual: String| PlotError::BadInput {
            what: "confusion matrix",
            expected: format!("{n} x {n} counts (one row and column per class)"),
            actual,
        };
        if self.counts.len() != n {
            return Err(bad(format!("{} rows", self.counts.len())));
        }
        if let Some((t, row)) = self.counts.iter().enumerate().find(|(_, r)| r.len() != n) {
            return Err(bad(format!("row {t} with {} counts", row.len())));
        }
        if let Some((label, col)) = self.extra_column
            && col.len() != n
        {
            return Err(bad(format!(
                "extra column `{label}` with {} counts",
                col.len()
            )));
        }
        Ok(())
    }

    /// Row `t`: the class columns, then the extra column's count when present.
    fn row(&self, t: usize) -> Vec<usize> {
        let mut row = self.counts[t].clone();
        if let Some((_, col)) = self.extra_column {
            row.push(col[t]);
        }
        row
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

/// Black or white, whichever reads better on `bg`.
fn contrasting(bg: RGBColor) -> RGBColor {
    let lum = 0.2126 * f64::from(bg.0) + 0.7152 * f64::from(bg.1) + 0.0722 * f64::from(bg.2);
    if lum > 140.0 { BLACK } else { WHITE }
}

/// Confusion-matrix heat map as PNG bytes.
///
/// Rows are true classes, columns predicted classes (plus the extra column, e.g. "unknown",
/// after a gap when present). Colour is the row-normalised share (share of the true class's
/// clips), so rare classes are as visible as common ones; cells show the raw counts in black
/// or white for contrast. Class names longer than [`MAX_LABEL_CHARS`] are cut; column
/// names are rotated. The picture grows with the class count (cells 18 to 64 px).
///
/// # Errors
/// [`PlotError::BadInput`] when `counts` or the extra column do not have one entry per
/// class, [`PlotError::Draw`] if plotters or the PNG encoder fails.
pub fn confusion_png(cm: &ConfusionData<'_>, title: &str) -> Result<Vec<u8>, PlotError> {
    cm.check()?;
    crate::init();
    let n = cm.classes.len();
    let mut cols: Vec<&str> = cm.classes.iter().map(String::as_str).collect();
    cols.extend(cm.extra_column.map(|(label, _)| label));
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
    let gap = if cm.extra_column.is_some() {
        UNKNOWN_GAP
    } else {
        0
    };
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
        let e = PlotError::draw("confusion matrix");
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
