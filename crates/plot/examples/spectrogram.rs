//! Draw the log-mel spectrogram of a 16-bit mono WAV (audio -> features -> PNG, drawn by
//! hark-plot beside the flow).
//!
//! `cargo run -p hark-plot --example spectrogram -- IN.wav OUT.png [n_fft hop n_mels]`

use hark_features::{FeatureConfig, MatrixKind, feature_matrix};
use hark_plot::{SpectrogramOptions, render_spectrogram_png};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: spectrogram IN.wav OUT.png [n_fft hop n_mels]".into());
    }
    let mut reader = hound::WavReader::open(&args[1])?;
    let sr = reader.spec().sample_rate;
    let y: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.map(|v| v as f32 / 32768.0))
        .collect::<Result<_, _>>()?;
    let num = |i: usize, d: usize| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(d);
    let cfg = FeatureConfig {
        sr,
        n_fft: num(3, 1024),
        hop_length: num(4, 512),
        n_mels: num(5, 60),
        ..Default::default()
    };
    let db = feature_matrix(&y, &cfg, MatrixKind::LogMelDb)?;
    let opts = SpectrogramOptions {
        title: format!(
            "log-mel spectrogram of {}",
            args[1].rsplit('/').next().unwrap_or("")
        ),
        show_windows: true,
        ..Default::default()
    };
    render_spectrogram_png(&args[2], &db, &cfg, &opts)?;
    println!(
        "wrote {} ({} bands x {} frames)",
        args[2],
        db.nrows(),
        db.ncols()
    );
    Ok(())
}
