//! Naive references: a direct f64 DFT against the STFT, filterbank geometry, HTK vs Slaney,
//! fmin/fmax limits, MFCC basis.

use hark_features::{
    FeatureConfig, MelFilterbank, MelNorm, MelScale, PadMode, Stft, dct_ii_ortho, fft_frequencies,
    hz_to_mel, mel_frequencies,
};

/// STFT vs f64 DFT: `|a - g| <= DFT_REL_OF_MAX * max(g)` (f32 FFT rounding).
const DFT_REL_OF_MAX: f64 = 1e-5;
/// Filterbank peak vs mel centre frequency: within one FFT bin.
const PEAK_BINS: f64 = 1.0;
/// DCT basis orthonormality.
const DCT_ABS: f32 = 1e-5;

fn naive_stft_mag(y: &[f32], n_fft: usize, hop: usize, win: usize, reflect: bool) -> Vec<Vec<f64>> {
    let pad = n_fft / 2;
    let len = y.len() as isize;
    let get = |i: isize| -> f64 {
        if (0..len).contains(&i) {
            y[i as usize] as f64
        } else if reflect {
            let j = if i < 0 { -i } else { 2 * (len - 1) - i };
            y[j as usize] as f64
        } else {
            0.0
        }
    };
    let lpad = (n_fft - win) / 2;
    let w: Vec<f64> = (0..n_fft)
        .map(|n| {
            if n < lpad || n >= lpad + win {
                0.0
            } else {
                0.5 - 0.5 * (2.0 * std::f64::consts::PI * (n - lpad) as f64 / win as f64).cos()
            }
        })
        .collect();
    let n_frames = 1 + y.len() / hop;
    (0..n_frames)
        .map(|t| {
            let frame: Vec<f64> = (0..n_fft)
                .map(|n| w[n] * get((t * hop + n) as isize - pad as isize))
                .collect();
            (0..=n_fft / 2)
                .map(|k| {
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for (n, &x) in frame.iter().enumerate() {
                        let ang = -2.0 * std::f64::consts::PI * (k * n) as f64 / n_fft as f64;
                        re += x * ang.cos();
                        im += x * ang.sin();
                    }
                    re.hypot(im)
                })
                .collect()
        })
        .collect()
}

#[test]
fn stft_matches_direct_dft_on_seeded_noise() {
    let mut rng = fastrand::Rng::with_seed(42);
    let y: Vec<f32> = (0..1500).map(|_| rng.f32() * 2.0 - 1.0).collect();
    for (n_fft, hop, win, pad_mode) in [
        (256, 100, 256, PadMode::Constant),
        (128, 64, 96, PadMode::Constant),
        (250, 100, 250, PadMode::Constant), // n_fft not a multiple of 8
        (256, 128, 256, PadMode::Reflect),
    ] {
        let stft = Stft::new(n_fft, hop, Some(win), true, pad_mode).expect("plan");
        let got = stft.magnitude(&y);
        let want = naive_stft_mag(&y, n_fft, hop, win, pad_mode == PadMode::Reflect);
        assert_eq!(got.dim(), (n_fft / 2 + 1, want.len()));
        let gmax = want.iter().flatten().fold(0.0f64, |m, &v| m.max(v));
        for (t, col) in want.iter().enumerate() {
            for (k, &g) in col.iter().enumerate() {
                let d = (got[[k, t]] as f64 - g).abs();
                assert!(
                    d <= DFT_REL_OF_MAX * gmax,
                    "n_fft {n_fft} frame {t} bin {k}: {} vs {g}",
                    got[[k, t]]
                );
            }
        }
    }
}

#[test]
fn frame_count_formula() {
    let stft = Stft::new(512, 128, None, true, PadMode::Constant).expect("plan");
    for n in [0usize, 1, 127, 128, 129, 1000, 4096] {
        assert_eq!(stft.n_frames(n), 1 + n / 128, "n = {n}");
        assert_eq!(stft.magnitude(&vec![0.1; n]).ncols(), 1 + n / 128);
    }
    let cfg = FeatureConfig {
        center: false,
        n_fft: 512,
        hop_length: 128,
        ..Default::default()
    };
    assert_eq!(cfg.n_frames(511), 0);
    assert_eq!(cfg.n_frames(512), 1);
    assert_eq!(cfg.n_frames(512 + 300), 3);
}

#[test]
fn filterbank_peaks_sit_on_mel_centres() {
    for scale in [MelScale::Slaney, MelScale::Htk] {
        let (sr, n_fft, n_mels) = (16000u32, 2048usize, 40usize);
        let fb =
            MelFilterbank::new(sr, n_fft, n_mels, 0.0, 8000.0, scale, MelNorm::Slaney).expect("fb");
        let centres = mel_frequencies(n_mels + 2, 0.0, 8000.0, scale);
        let freqs = fft_frequencies(sr as f64, n_fft);
        let bin_hz = sr as f64 / n_fft as f64;
        for i in 0..n_mels {
            let (start, w) = fb.filter(i);
            let peak = start
                + w.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(j, _)| j)
                    .expect("non-empty filter");
            let d = (freqs[peak] - centres[i + 1]).abs();
            assert!(
                d <= PEAK_BINS * bin_hz,
                "{scale:?} filter {i}: peak {} Hz vs centre {} Hz",
                freqs[peak],
                centres[i + 1]
            );
        }
    }
}

#[test]
fn htk_and_slaney_scales_differ_as_expected() {
    // HTK: centres equally spaced in 2595 log10(1 + f / 700).
    let htk = mel_frequencies(10, 0.0, 8000.0, MelScale::Htk);
    let m: Vec<f64> = htk
        .iter()
        .map(|&f| 2595.0 * (1.0 + f / 700.0).log10())
        .collect();
    for w in m.windows(3) {
        assert!(((w[2] - w[1]) - (w[1] - w[0])).abs() < 1e-9);
    }
    assert!((hz_to_mel(1000.0, MelScale::Htk) - 999.9855).abs() < 1e-3);
    // Slaney: linear below 1 kHz (200/3 Hz per mel), so 1 kHz is mel 15.
    assert!((hz_to_mel(1000.0, MelScale::Slaney) - 15.0).abs() < 1e-12);
    let slaney = mel_frequencies(10, 0.0, 8000.0, MelScale::Slaney);
    assert!(
        (slaney[1] - slaney[0] - (slaney[2] - slaney[1])).abs() < 1e-9,
        "linear part"
    );
    assert!(
        (htk[1] - slaney[1]).abs() > 10.0,
        "the scales must give different centres"
    );
}

#[test]
fn filters_stay_inside_fmin_fmax() {
    let (sr, n_fft) = (22050u32, 1024usize);
    for scale in [MelScale::Slaney, MelScale::Htk] {
        for norm in [MelNorm::Slaney, MelNorm::None] {
            let fb = MelFilterbank::new(sr, n_fft, 30, 300.0, 4000.0, scale, norm).expect("fb");
            let dense = fb.to_dense();
            let freqs = fft_frequencies(sr as f64, n_fft);
            for ((_, k), &w) in dense.indexed_iter() {
                if w != 0.0 {
                    assert!(
                        freqs[k] > 300.0 && freqs[k] < 4000.0,
                        "weight at {} Hz",
                        freqs[k]
                    );
                }
            }
            if norm == MelNorm::None {
                let peak = dense.iter().fold(0.0f32, |m, &v| m.max(v));
                assert!(peak > 0.9 && peak <= 1.0, "peak-1 triangles, got {peak}");
            }
        }
    }
}

#[test]
fn dct_basis_is_orthonormal() {
    let b = dct_ii_ortho(20, 20);
    let p = b.dot(&b.t());
    for ((i, j), &v) in p.indexed_iter() {
        let want = if i == j { 1.0 } else { 0.0 };
        assert!((v - want).abs() < DCT_ABS, "[{i},{j}] = {v}");
    }
    let db = ndarray::Array2::from_shape_fn((20, 3), |(m, t)| (m * 3 + t) as f32 - 30.0);
    let c = hark_features::mfcc(&db, 13).expect("mfcc");
    assert_eq!(c.dim(), (13, 3));
    // c0 = sqrt(n) * mean of the column.
    let mean0: f32 = db.column(0).sum() / 20.0;
    assert!((c[[0, 0]] - mean0 * 20f32.sqrt()).abs() < 1e-3);
    assert!(hark_features::mfcc(&db, 21).is_err());
}
