//! Helpers shared by the CLI test files: generated 16-bit PCM WAV audio.

use std::path::Path;

/// A 16-bit mono PCM WAV file holding `samples` at `sr` Hz.
pub fn write_wav(path: &Path, sr: u32, samples: &[i16]) {
    let data_len = (samples.len() * 2) as u32;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&sr.to_le_bytes());
    b.extend_from_slice(&(sr * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, b).expect("write wav");
}

/// `seconds` of a `freq` Hz sine at `sr` Hz, amplitude 10,000 of 32,767.
pub fn sine(sr: u32, seconds: f64, freq: f64) -> Vec<i16> {
    let n = (seconds * f64::from(sr)).round() as usize;
    (0..n)
        .map(|i| {
            let v = (i as f64 * freq * std::f64::consts::TAU / f64::from(sr)).sin();
            (v * 10_000.0) as i16
        })
        .collect()
}
