//! hark-plot: every picture hark draws, in one place.
//!
//! Flow: audio -> features -> model -> train/eval -> predict/stream -> export. This crate sits
//! **beside** that flow, at its human end: stages hand it plain data (a log-mel matrix and its
//! [`hark_features::FeatureConfig`], per-epoch numbers, a matrix of counts, a threshold sweep)
//! and get PNG pictures back. It depends on no hark crate but hark-features (for the
//! spectrogram's axes); hark-train and hark-eval call into it, so the library crates that do
//! the numbers carry no drawing code.
//!
//! | picture | bytes | file | data |
//! |---|---|---|---|
//! | log-mel spectrogram | [`spectrogram_png`] | [`render_spectrogram_png`] | `Array2<f32>` + `FeatureConfig` |
//! | training curves | [`history_png`] | [`render_history_png`] | [`EpochPoint`]s + [`HistoryMarks`] |
//! | confusion matrix | [`confusion_png`] | — (embedded in reports) | [`ConfusionData`] |
//! | precision/coverage | [`coverage_png`] | — (embedded in reports) | [`CoveragePoint`]s |
//! | event detection sweep | [`sed_sweep_png`] | — (embedded in reports) | [`SedSweepPoint`]s |
//!
//! Files are written atomically ([`write_png`]). Pictures are drawn into memory with plotters'
//! bitmap backend and encoded with `png`.
//!
//! plotters' default text rendering needs the system's fontconfig/freetype; hark instead
//! bundles DejaVu Sans (permissive licence, `assets/DejaVuSans-LICENSE.txt`) and registers it
//! through plotters' `ab_glyph` backend, so pictures render the same on any machine with no
//! system packages.
//!
//! ```
//! use hark_plot::{CoveragePoint, coverage_png};
//! let sweep = [
//!     CoveragePoint { threshold: 0.3, precision: 0.80, coverage: 1.0 },
//!     CoveragePoint { threshold: 0.6, precision: 0.95, coverage: 0.7 },
//! ];
//! let png = coverage_png(&sweep, Some(0.6))?;
//! assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
//! # Ok::<(), hark_plot::PlotError>(())
//! ```

mod confusion;
mod coverage;
mod encode;
mod error;
mod history;
mod sed;
mod spectrogram;

use std::sync::Once;

pub use confusion::{ConfusionData, MAX_LABEL_CHARS, abbreviate, confusion_png};
pub use coverage::{COVERAGE_SIZE, CoveragePoint, coverage_png, format_threshold};
pub(crate) use encode::encode_png;
pub use encode::write_png;
pub use error::PlotError;
pub use history::{
    EpochPoint, HISTORY_SIZE, HistoryMarks, MAX_EPOCH_TICKS, epoch_ticks, history_png,
    render_history_png,
};
pub use plotters;
pub use sed::{SED_SWEEP_SIZE, SedSweepPoint, sed_sweep_png};
pub use spectrogram::{SpectrogramOptions, WindowMark, render_spectrogram_png, spectrogram_png};

/// Font family name to use in `TextStyle`s: `("sans-serif", 14).into_font()`.
pub const FONT: &str = "sans-serif";

/// Outer margin of the report pictures, pixels.
pub(crate) const MARGIN: i32 = 16;
/// Title text size, pixels.
pub(crate) const TITLE_PX: f64 = 20.0;
/// Axis title text size, pixels.
pub(crate) const AXIS_TITLE_PX: f64 = 16.0;

static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static INIT: Once = Once::new();

/// Register the bundled font with plotters. Call before drawing any text; cheap
/// and idempotent (every function here calls it).
pub fn init() {
    INIT.call_once(|| {
        // The bytes are a valid TrueType font compiled into the binary; a failure
        // here would be a packaging bug, and text would then simply not render.
        let _ =
            plotters::style::register_font(FONT, plotters::style::FontStyle::Normal, FONT_BYTES);
        let _ = plotters::style::register_font(FONT, plotters::style::FontStyle::Bold, FONT_BYTES);
    });
}

/// Perceptual colour map (viridis): `t` in [0, 1] (clamped) to RGB.
pub fn colormap(t: f64) -> plotters::style::RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    let c = ViridisRGB.get_color(t.clamp(0.0, 1.0));
    plotters::style::RGBColor(c.0, c.1, c.2)
}
