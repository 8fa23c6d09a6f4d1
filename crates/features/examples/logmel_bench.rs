//! Speed of the features stage for `bench/features/run.sh` (release build): log-mel of ten
//! minutes of 22.05 kHz audio on one thread and on two, and load + log-mel of every FSDD WAV.
//! Prints one JSON object per case: audio seconds and the median wall time of `--repeats` runs.
//!
//! `logmel_bench --signal-out PATH --fsdd DIR [--repeats N]`; the 10-minute signal is written
//! to PATH as raw little-endian f32 so the librosa side reads the very same samples.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hark_features::{FeatureConfig, MatrixExtractor, MatrixKind};

const SECONDS: usize = 600;

fn signal(sr: u32) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..sr as usize * SECONDS)
        .map(|n| {
            let t = n as f32 / sr as f32;
            0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * (100.0 + 10.0 * (t % 60.0)) * t).sin()
                + 0.05 * (rng.f32() - 0.5)
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(repeats: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    median(
        (0..repeats)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// hark's own decoder (hark-audio, as `hark` uses it), so the FSDD row times what users run.
fn read_wav(path: &Path) -> Result<Vec<f32>, Box<dyn std::error::Error>> {
    Ok(hark_audio::load_mono(path, Some(8000))?.samples)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let repeats: usize = arg("--repeats")
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let cfg = FeatureConfig::default(); // 22050 Hz, n_fft 1024, hop 512, 60 mels
    let y = signal(cfg.sr);
    if let Some(p) = arg("--signal-out") {
        let bytes: Vec<u8> = y.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&p, bytes)?;
    }
    let ex = MatrixExtractor::new(&cfg)?;
    let audio_s = y.len() as f64 / cfg.sr as f64;
    for (name, threads) in [
        ("logmel_10min_1thread", 1usize),
        ("logmel_10min_2threads", 2),
    ] {
        let wall = time(repeats, || {
            let m = ex
                .compute_parallel(&y, MatrixKind::LogMelDb, threads)
                .expect("valid config");
            std::hint::black_box(m);
        });
        println!("{{\"case\": \"{name}\", \"audio_s\": {audio_s}, \"wall_s\": {wall}}}");
    }
    if let Some(dir) = arg("--fsdd") {
        let dir = PathBuf::from(dir).join("recordings");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wav"))
            .collect();
        files.sort();
        let fcfg = FeatureConfig {
            sr: 8000,
            n_fft: 256,
            hop_length: 128,
            n_mels: 40,
            ..Default::default()
        };
        let fex = MatrixExtractor::new(&fcfg)?;
        let mut total_samples = 0usize;
        let wall = time(repeats, || {
            total_samples = 0;
            for f in &files {
                let y = read_wav(f).expect("FSDD WAV");
                total_samples += y.len();
                std::hint::black_box(fex.compute(&y, MatrixKind::LogMelDb).expect("valid"));
            }
        });
        let audio_s = total_samples as f64 / 8000.0;
        println!(
            "{{\"case\": \"fsdd_{}files_load_logmel\", \"audio_s\": {audio_s}, \"wall_s\": {wall}}}",
            files.len()
        );
    }
    Ok(())
}
