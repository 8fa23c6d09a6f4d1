//! Shared test helpers: locating `../shared`, reading WAVs with hound, parsing golden CSVs.

use std::path::{Path, PathBuf};

/// `../shared` beside the workspace root.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// `shared/golden`, or `None` after printing a visible SKIP message.
pub fn golden_dir(test: &str) -> Option<PathBuf> {
    let d = shared_dir().join("golden");
    if d.join("README.md").exists() {
        Some(d)
    } else {
        println!("SKIP: {test}: {} not found", d.display());
        None
    }
}

/// 16-bit PCM WAV as `int16 / 32768` f32 (what `librosa.load(sr=None)` returns) and its rate.
pub fn read_wav(path: &Path) -> (Vec<f32>, u32) {
    let mut r =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let spec = r.spec();
    assert_eq!(spec.bits_per_sample, 16, "{}", path.display());
    assert_eq!(spec.channels, 1, "{}", path.display());
    let y = r
        .samples::<i16>()
        .map(|s| s.expect("valid sample") as f32 / 32768.0)
        .collect();
    (y, spec.sample_rate)
}

/// Golden CSV (no header) as rows of f32.
pub fn read_csv(path: &Path) -> Vec<Vec<f32>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|v| v.trim().parse::<f32>().expect("float"))
                .collect()
        })
        .collect()
}

/// Golden CSV of f64 values (one row).
pub fn read_csv_f64(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .expect("read golden")
        .trim()
        .split(',')
        .map(|v| v.trim().parse::<f64>().expect("float"))
        .collect()
}

/// Seeded test signal: tone + chirp + noise, `n` samples at `sr`.
pub fn test_signal(n: usize, sr: u32, seed: u64) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|i| {
            let t = i as f32 / sr as f32;
            let env = 0.5 + 0.5 * (2.0 * std::f32::consts::PI * 1.3 * t).sin();
            env * (0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * (200.0 + 300.0 * t) * t).sin())
                + 0.02 * (rng.f32() - 0.5)
        })
        .collect()
}
