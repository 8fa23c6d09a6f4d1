//! Shared plotting setup for every picture hark draws (spectrograms, confusion
//! matrices, training curves). Sits beside the flow: any stage may draw with it.
//!
//! plotters' default text rendering needs the system's fontconfig/freetype; hark
//! instead bundles DejaVu Sans (permissive licence, `assets/DejaVuSans-LICENSE.txt`)
//! and registers it through plotters' `ab_glyph` backend, so pictures render the
//! same on any machine with no system packages.

use std::sync::Once;

pub use plotters;

/// Font family name to use in `TextStyle`s: `("sans-serif", 14).into_font()`.
pub const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static INIT: Once = Once::new();

/// Register the bundled font with plotters. Call before drawing any text; cheap
/// and idempotent.
pub fn init() {
    INIT.call_once(|| {
        // The bytes are a valid TrueType font compiled into the binary; a failure
        // here would be a packaging bug, and text would then simply not render.
        let _ =
            plotters::style::register_font(FONT, plotters::style::FontStyle::Normal, FONT_BYTES);
        let _ = plotters::style::register_font(FONT, plotters::style::FontStyle::Bold, FONT_BYTES);
    });
}

/// Magma-like perceptual colour map: `t` in [0, 1] (clamped) to RGB.
pub fn colormap(t: f64) -> plotters::style::RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    let c = ViridisRGB.get_color(t.clamp(0.0, 1.0));
    plotters::style::RGBColor(c.0, c.1, c.2)
}
