//! PNG bytes and atomic files (beside the flow: every picture ends here). Pictures are drawn
//! into an RGB buffer in memory, encoded once, and either embedded (HTML report) or written.

use std::path::Path;

use crate::PlotError;

/// Encode an RGB8 buffer of `size` (width, height) pixels as PNG bytes.
pub(crate) fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    let err = PlotError::draw::<png::EncodingError>("PNG encoding");
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Best);
    enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = enc.write_header().map_err(&err)?;
    writer.write_image_data(rgb).map_err(&err)?;
    writer.finish().map_err(&err)?;
    Ok(out)
}

/// Write `bytes` (e.g. a picture from [`crate::spectrogram_png`]) to `path` atomically: a
/// temporary file in the same folder, flushed to disk, then renamed over `path`. On error the
/// temporary file is removed and `path` is untouched.
///
/// # Errors
/// [`PlotError::Write`] naming `path`.
pub fn write_png(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    hark_io::write_atomic(path, bytes).map_err(|source| PlotError::Write {
        path: path.to_path_buf(),
        source,
    })
}
