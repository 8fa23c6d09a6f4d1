//! Window policy, short-clip padding, normalisation and silence gating.

use hark_features::{FeatureConfig, WindowExtractor, WindowNorm};

/// Normalised window mean / std tolerance.
const NORM_TOL: f64 = 1e-4;
/// Measured level of a test tone vs its nominal dBFS (Hann-weighted frames, edge frames).
const LEVEL_TOL_DB: f32 = 0.5;

fn small_cfg(overlap: f32) -> FeatureConfig {
    FeatureConfig {
        sr: 8000,
        n_fft: 256,
        hop_length: 128,
        n_mels: 40,
        window_frames: 10,
        overlap,
        ..Default::default()
    }
}

/// Samples giving exactly `frames` STFT frames with centre padding and hop 128.
fn samples_for_frames(frames: usize) -> usize {
    (frames - 1) * 128
}

#[test]
fn window_counts_follow_the_documented_policy() {
    // (overlap, frames, expected start frames), worked by hand from the policy:
    // full windows every H frames, plus an end-aligned window if >= W/2 frames remain.
    let cases: Vec<(f32, usize, Vec<usize>)> = vec![
        (0.0, 10, vec![0]),
        (0.0, 24, vec![0, 10]),         // 4 frames left < 5
        (0.0, 25, vec![0, 10, 15]),     // 5 frames left >= 5: end-aligned at 25 - 10
        (0.5, 25, vec![0, 5, 10, 15]),  // H = 5, nothing left
        (0.5, 23, vec![0, 5, 10]),      // 3 left < 5
        (0.5, 28, vec![0, 5, 10, 15]),  // last full window ends at 25: 3 left < 5
        (0.0, 37, vec![0, 10, 20, 27]), // 7 left >= 5: end-aligned at 27
        (0.9, 25, (0..16).collect()),   // H = 1
    ];
    for (overlap, frames, want) in cases {
        let cfg = small_cfg(overlap);
        let starts = hark_features::window_starts(frames, &cfg);
        assert_eq!(starts, want, "overlap {overlap}, {frames} frames");
        let y = crate::common::test_signal(samples_for_frames(frames), 8000, 1);
        let got: Vec<usize> = WindowExtractor::new(&cfg)
            .expect("cfg")
            .windows(&y)
            .iter()
            .map(|w| w.start_frame)
            .collect();
        assert_eq!(got, want, "extractor, overlap {overlap}, {frames} frames");
    }
    assert_eq!(small_cfg(0.0).hop_frames(), 10);
    assert_eq!(small_cfg(0.5).hop_frames(), 5);
    assert_eq!(small_cfg(0.9).hop_frames(), 1);
    assert_eq!(
        FeatureConfig {
            window_frames: 41,
            overlap: 0.75,
            ..Default::default()
        }
        .hop_frames(),
        10
    );
}

#[test]
fn short_clips_are_padded_to_one_window() {
    let cfg = small_cfg(0.5);
    let mut ex = WindowExtractor::new(&cfg).expect("cfg");
    assert!(ex.windows(&[]).is_empty(), "empty signal: no windows");
    for n in [1usize, 100, 1120, samples_for_frames(10) - 1] {
        let y = crate::common::test_signal(n, 8000, 2);
        let w = ex.windows(&y);
        assert_eq!(w.len(), 1, "{n} samples");
        assert_eq!(w[0].start_frame, 0);
        assert_eq!(w[0].values.len(), 40 * 10);
    }
    // Padding is zeros appended to the audio: same as padding by hand.
    let y = crate::common::test_signal(1120, 8000, 3);
    let mut padded = y.clone();
    padded.resize(cfg.min_window_samples(), 0.0);
    assert_eq!(ex.windows(&y), ex.windows(&padded));
}

#[test]
fn per_window_normalisation() {
    let y = crate::common::test_signal(8000 * 2, 8000, 4);
    for norm in [WindowNorm::MeanStd, WindowNorm::Max, WindowNorm::None] {
        let cfg = FeatureConfig {
            normalization: norm,
            ..small_cfg(0.5)
        };
        let windows = WindowExtractor::new(&cfg).expect("cfg").windows(&y);
        assert!(windows.len() > 5);
        for w in &windows {
            assert!(!w.silent);
            let n = w.values.len() as f64;
            let mean = w.values.iter().map(|&v| v as f64).sum::<f64>() / n;
            let std = (w
                .values
                .iter()
                .map(|&v| (v as f64 - mean).powi(2))
                .sum::<f64>()
                / n)
                .sqrt();
            let max = w.values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let min = w.values.iter().copied().fold(f32::INFINITY, f32::min);
            match norm {
                WindowNorm::MeanStd => {
                    assert!(mean.abs() < NORM_TOL, "mean {mean}");
                    assert!((std - 1.0).abs() < NORM_TOL, "std {std}");
                }
                WindowNorm::Max => {
                    assert_eq!(max, 0.0);
                    assert!(min >= -80.0 - 1e-3, "top_db clip per window: min {min}");
                }
                WindowNorm::None => {
                    // Fixed 0 dB reference, no normalisation: at most top_db of range.
                    assert!(max - min <= 80.0 + 1e-3);
                }
            }
        }
    }
}

#[test]
fn silence_is_gated_quiet_sounds_are_not() {
    let cfg = FeatureConfig::speech();
    assert_eq!(cfg.silence_threshold_db, Some(-60.0));
    let mut ex = WindowExtractor::new(&cfg).expect("cfg");
    let n = 8000 * 3;

    let silence = vec![0.0f32; n];
    let noise_amp = (3.0f32 * 0.5 * 1e-9).sqrt(); // uniform: mean square a^2/3 = 0.5e-9 -> -90 dBFS
    let mut rng = fastrand::Rng::with_seed(9);
    let noise: Vec<f32> = (0..n)
        .map(|_| noise_amp * (2.0 * rng.f32() - 1.0))
        .collect();
    for (name, y, level) in [
        ("digital silence", &silence, None),
        ("-90 dBFS noise", &noise, Some(-90.0f32)),
    ] {
        let windows = ex.windows(y);
        assert!(!windows.is_empty());
        for w in &windows {
            assert!(
                w.silent,
                "{name}: window at {} not gated ({} dBFS)",
                w.start_frame, w.energy_dbfs
            );
            assert!(
                w.values.iter().all(|&v| v == 0.0),
                "{name}: silent windows carry zeros"
            );
            if let Some(l) = level {
                assert!(
                    (w.energy_dbfs - l).abs() < LEVEL_TOL_DB + 1.0,
                    "{name}: {} dBFS",
                    w.energy_dbfs
                );
            }
        }
    }

    let tone: Vec<f32> = (0..n)
        .map(|i| 0.01 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 8000.0).sin())
        .collect();
    let windows = ex.windows(&tone);
    // Interior windows (not touching the zero-padded edges) measure the nominal level.
    for w in &windows[1..windows.len() - 1] {
        assert!(!w.silent, "-40 dBFS tone gated at frame {}", w.start_frame);
        assert!(
            (w.energy_dbfs + 40.0).abs() < LEVEL_TOL_DB,
            "tone level {} dBFS",
            w.energy_dbfs
        );
        let n = w.values.len() as f64;
        let mean = w.values.iter().map(|&v| v as f64).sum::<f64>() / n;
        assert!(mean.abs() < NORM_TOL);
    }
    assert!(windows.iter().all(|w| !w.silent));
}
