//! Front-end tables of the C export: Hann window, FFT twiddles and the mel filterbank,
//! computed by hark-features itself (so the device filters with the trained weights).

use std::fmt::Write;

use hark_features::{FeatureConfig, MelFilterbank, hann_window};

use super::lit;
use crate::ExportError;

/// Write the tables and `HARK_WINDOW_ENERGY`; returns their size in bytes.
pub(super) fn write(w: &mut String, cfg: &FeatureConfig) -> Result<usize, ExportError> {
    let n_fft = cfg.n_fft;
    let m = n_fft / 2;
    let window = hann_window(cfg.win_length.unwrap_or(n_fft), n_fft);
    let energy: f64 = window.iter().map(|v| v * v).sum();
    let _ = writeln!(w, "#define HARK_WINDOW_ENERGY {energy:?}\n");
    let hann: Vec<f32> = window.iter().map(|&v| v as f32).collect();
    // A window symmetric about n_fft / 2 to the bit (Hann, or one centred with even
    // padding) is stored up to its middle only: flash is the scarce memory on a device.
    let symmetric = (1..n_fft).all(|i| hann[i].to_bits() == hann[n_fft - i].to_bits());
    let mut bytes = if symmetric {
        let _ = writeln!(w, "#define HARK_HANN_HALF");
        array(w, "float", "hark_hann", &hann[..=m])
    } else {
        array(w, "float", "hark_hann", &hann)
    };
    // e^{-2 pi i k / n_fft} = cos - i sin for k = 0..=n_fft/2, both read from one quarter
    // wave of cosines (computed in f64), a quarter of the two half-wave tables' flash.
    let angle = |k: usize| 2.0 * std::f64::consts::PI * k as f64 / n_fft as f64;
    let quarter: Vec<f32> = (0..=n_fft / 4).map(|k| angle(k).cos() as f32).collect();
    bytes += array(w, "float", "hark_tw_quarter", &quarter);

    let mel = filterbank(cfg)?;
    let (mut starts, mut offsets, mut weights) = (Vec::new(), vec![0usize], Vec::new());
    for b in 0..mel.n_mels() {
        let (start, f) = mel.filter(b);
        starts.push(start);
        weights.extend_from_slice(f);
        offsets.push(weights.len());
    }
    if offsets.last().copied().unwrap_or(0) > usize::from(u16::MAX) {
        return Err(ExportError::Unsupported {
            format: "C",
            step: format!(
                "a mel filterbank of {} weights (at most 65535: retrain with fewer --n-mels \
                 or a smaller --n-fft)",
                weights.len()
            ),
        });
    }
    bytes += int_array(w, "hark_mel_start", &starts);
    bytes += int_array(w, "hark_mel_offset", &offsets);
    bytes += array(w, "float", "hark_mel_weights", &weights);
    Ok(bytes)
}

/// Non-zero mel weights: the front end's multiply-adds per frame for the filterbank.
pub(super) fn mel_weight_count(cfg: &FeatureConfig) -> Result<usize, ExportError> {
    let mel = filterbank(cfg)?;
    Ok((0..mel.n_mels()).map(|b| mel.filter(b).1.len()).sum())
}

fn filterbank(cfg: &FeatureConfig) -> Result<MelFilterbank, ExportError> {
    MelFilterbank::from_config(cfg).map_err(|e| ExportError::Unsupported {
        format: "C",
        step: format!("these feature settings ({e})"),
    })
}

/// `static const TYPE NAME[n] = {...};` of floats, eight per line; returns its bytes.
pub(super) fn array(w: &mut String, ty: &str, name: &str, v: &[f32]) -> usize {
    let _ = writeln!(w, "static const {ty} {name}[{}] = {{", v.len().max(1));
    for chunk in v.chunks(8) {
        let line: Vec<String> = chunk.iter().map(|&x| lit(x)).collect();
        let _ = writeln!(w, "  {},", line.join(", "));
    }
    if v.is_empty() {
        w.push_str("  0.0f,\n");
    }
    w.push_str("};\n");
    4 * v.len()
}

/// `static const uint16_t NAME[n]` (values checked to fit by the caller); returns its bytes.
fn int_array(w: &mut String, name: &str, v: &[usize]) -> usize {
    let _ = writeln!(w, "static const uint16_t {name}[{}] = {{", v.len());
    for chunk in v.chunks(16) {
        let line: Vec<String> = chunk.iter().map(|x| x.to_string()).collect();
        let _ = writeln!(w, "  {},", line.join(", "));
    }
    w.push_str("};\n");
    2 * v.len()
}
