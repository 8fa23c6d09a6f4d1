//! librosa 0.11.0 golden values (`../shared/golden`, tolerances from its README section 5).

use hark_features::{
    FeatureConfig, MatrixKind, MelFilterbank, MelScale, feature_matrix, mel_frequencies,
};
use ndarray::Array2;

use crate::common::{golden_dir, read_csv, read_csv_f64, read_wav};

/// STFT magnitude / mel power: `|a - g| <= REL_OF_MAX * max(g) + REL * |g|`.
const SPEC_REL_OF_MAX: f32 = 1e-5;
const SPEC_REL: f32 = 1e-4;
/// Mel filterbank weights, absolute.
const FB_ABS: f32 = 1e-7;
/// dB cells and per-file mean/std features, absolute dB.
const DB_ABS: f32 = 1e-3;
/// Mel edge frequencies, relative (librosa's are exact in f64; allow libm ulps).
const FREQ_REL: f64 = 1e-12;

struct Case {
    prefix: &'static str,
    wav: &'static str,
    cfg: FeatureConfig,
    frames: usize,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            prefix: "chirp",
            wav: "chirp_22050.wav",
            cfg: FeatureConfig {
                sr: 22050,
                n_fft: 1024,
                hop_length: 512,
                n_mels: 60,
                ..Default::default()
            },
            frames: 87,
        },
        Case {
            prefix: "fsdd",
            wav: "fsdd_3_jackson_12.wav",
            cfg: FeatureConfig {
                sr: 8000,
                n_fft: 256,
                hop_length: 128,
                n_mels: 40,
                ..Default::default()
            },
            frames: 30,
        },
    ]
}

fn assert_matrix(name: &str, a: &Array2<f32>, g: &[Vec<f32>], tol: impl Fn(f32, f32) -> f32) {
    assert_eq!(a.dim(), (g.len(), g[0].len()), "{name}: shape");
    let gmax = g.iter().flatten().fold(0.0f32, |m, &v| m.max(v.abs()));
    let mut worst = 0.0f32;
    for (i, row) in g.iter().enumerate() {
        for (j, &gv) in row.iter().enumerate() {
            let d = (a[[i, j]] - gv).abs();
            worst = worst.max(d);
            assert!(
                d <= tol(gv, gmax),
                "{name}[{i},{j}]: got {} want {gv} (diff {d})",
                a[[i, j]]
            );
        }
    }
    println!("{name}: max abs diff {worst:e}");
}

#[test]
fn stft_mel_db_match_librosa() {
    let Some(dir) = golden_dir("stft_mel_db_match_librosa") else {
        return;
    };
    let spec_tol = |g: f32, gmax: f32| SPEC_REL_OF_MAX * gmax + SPEC_REL * g.abs();
    for case in cases() {
        let (y, sr) = read_wav(&dir.join(case.wav));
        assert_eq!(sr, case.cfg.sr);
        let p = case.prefix;
        let mag = feature_matrix(&y, &case.cfg, MatrixKind::StftMagnitude).expect("stft");
        assert_eq!(mag.ncols(), case.frames, "{p}: frame count");
        assert_matrix(
            &format!("{p} stft"),
            &mag,
            &read_csv(&dir.join(format!("{p}_stft_mag.csv"))),
            spec_tol,
        );
        let mel = feature_matrix(&y, &case.cfg, MatrixKind::MelPower).expect("mel");
        assert_matrix(
            &format!("{p} melspec"),
            &mel,
            &read_csv(&dir.join(format!("{p}_melspec.csv"))),
            spec_tol,
        );
        let db = feature_matrix(&y, &case.cfg, MatrixKind::LogMelDb).expect("db");
        assert_matrix(
            &format!("{p} dB"),
            &db,
            &read_csv(&dir.join(format!("{p}_melspec_db.csv"))),
            |_, _| DB_ABS,
        );
    }
}

#[test]
fn filterbank_and_mel_frequencies_match_librosa() {
    let Some(dir) = golden_dir("filterbank_and_mel_frequencies_match_librosa") else {
        return;
    };
    for case in cases() {
        let p = case.prefix;
        let fb = MelFilterbank::from_config(&case.cfg)
            .expect("filterbank")
            .to_dense();
        assert_matrix(
            &format!("{p} mel fb"),
            &fb,
            &read_csv(&dir.join(format!("{p}_mel_fb.csv"))),
            |_, _| FB_ABS,
        );
        let want = read_csv_f64(&dir.join(format!("{p}_mel_freqs.csv")));
        let got = mel_frequencies(
            case.cfg.n_mels + 2,
            0.0,
            case.cfg.sr as f64 / 2.0,
            MelScale::Slaney,
        );
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= FREQ_REL * w.abs(),
                "{p} mel freq {g} vs {w}"
            );
        }
    }
}

/// End to end from WAV files: the 300 FSDD test clips, per-band mean and std (ddof = 0)
/// over frames of the dB mel spectrogram.
#[test]
fn fsdd_test_split_meanstd_match_librosa() {
    let Some(dir) = golden_dir("fsdd_test_split_meanstd_match_librosa") else {
        return;
    };
    let fsdd = crate::common::shared_dir().join("data/fsdd");
    if !fsdd.join("labels.csv").exists() {
        println!(
            "SKIP: fsdd_test_split_meanstd_match_librosa: {} not found",
            fsdd.display()
        );
        return;
    }
    let cfg = FeatureConfig::speech();
    let ex = hark_features::MatrixExtractor::new(&cfg).expect("config");
    let text =
        std::fs::read_to_string(dir.join("fsdd_test_features_logmel_meanstd.csv")).expect("golden");
    let mut lines = text.lines();
    lines.next(); // header
    let golden: Vec<(String, Vec<f32>)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut it = l.split(',');
            let name = it.next().expect("file").to_string();
            (name, it.map(|v| v.parse().expect("float")).collect())
        })
        .collect();
    let labels = std::fs::read_to_string(fsdd.join("labels.csv")).expect("labels");
    let mut test_files: Vec<String> = labels
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(4) == Some("test"))
        .map(|l| l.split(',').next().expect("path").to_string())
        .collect();
    test_files.sort_by_key(|p| p.rsplit('/').next().unwrap_or(p).to_string());
    assert_eq!(test_files.len(), 300);
    assert_eq!(golden.len(), 300);
    let mut worst = 0.0f32;
    for (path, (name, want)) in test_files.iter().zip(&golden) {
        assert!(path.ends_with(name.as_str()), "order: {path} vs {name}");
        let (y, sr) = read_wav(&fsdd.join(path));
        assert_eq!(sr, 8000);
        let db = ex.compute(&y, MatrixKind::LogMelDb).expect("features");
        let n = db.ncols() as f64;
        for (m, row) in db.rows().into_iter().enumerate() {
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n;
            let std = (row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
            for (got, w) in [(mean as f32, want[m]), (std as f32, want[40 + m])] {
                let d = (got - w).abs();
                worst = worst.max(d);
                assert!(d <= DB_ABS, "{name} band {m}: {got} vs {w}");
            }
        }
    }
    println!("fsdd test split: max abs diff {worst:e} dB");
}
