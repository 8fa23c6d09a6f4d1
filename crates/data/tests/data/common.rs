//! Shared helpers: generated WAV files, small feature config, location of ../shared data.

use std::path::{Path, PathBuf};

use hark_features::FeatureConfig;

/// Sample rate of generated test audio (Hz).
pub const SR: u32 = 8000;

/// Writes a 16-bit mono sine (amplitude 0.5 of full scale; 0 gives digital silence).
pub fn write_wav(path: &Path, seconds: f32, freq: f32, amplitude: f32) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create wav folder");
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SR,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    let n = (seconds * SR as f32) as usize;
    for i in 0..n {
        let t = i as f32 / SR as f32;
        let v = amplitude * (2.0 * std::f32::consts::PI * freq * t).sin();
        w.write_sample((v * i16::MAX as f32) as i16)
            .expect("write sample");
    }
    w.finalize().expect("finalize wav");
}

/// Writes a short audible tone (0.6 s).
pub fn tone(path: &Path, freq: f32) {
    write_wav(path, 0.6, freq, 0.5);
}

/// Writes a text file, creating folders.
pub fn write_text(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create folder");
    }
    std::fs::write(path, text).expect("write text");
}

/// A small, fast feature configuration matching [`SR`].
pub fn small_config() -> FeatureConfig {
    FeatureConfig {
        sr: SR,
        n_fft: 256,
        hop_length: 128,
        n_mels: 16,
        window_frames: 8,
        overlap: 0.5,
        ..FeatureConfig::default()
    }
}

/// `../shared/data/<name>` relative to the workspace root, or `None` with a visible SKIP message.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(name);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: {} not found (shared test data absent)", p.display());
        None
    }
}

/// A fresh temporary folder.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create temp dir")
}
