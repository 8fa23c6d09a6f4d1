//! Integration tests of hark-plot (beside the flow: features/train/eval -> **pictures**): every
//! picture decodes as PNG of the documented size, bad input is refused, files are atomic.

use std::path::Path;

use hark_features::{FeatureConfig, MatrixKind, feature_matrix};
use hark_plot::{
    COVERAGE_SIZE, ConfusionData, CoveragePoint, EpochPoint, HISTORY_SIZE, HistoryMarks,
    MAX_LABEL_CHARS, PlotError, SpectrogramOptions, abbreviate, confusion_png, coverage_png,
    history_png, render_history_png, render_spectrogram_png, spectrogram_png,
};

/// Width and height of PNG bytes (fails the test when they are not a PNG).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    (reader.info().width, reader.info().height)
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).expect("ls").count()
}

/// A tone under a slow envelope plus a chirp, `n` samples at `sr`.
fn test_signal(n: usize, sr: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / sr as f32;
            let env = 0.5 + 0.5 * (2.0 * std::f32::consts::PI * 1.3 * t).sin();
            env * (0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                + 0.2 * (2.0 * std::f32::consts::PI * (200.0 + 300.0 * t) * t).sin())
        })
        .collect()
}

#[test]
fn spectrogram_png_is_written_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = FeatureConfig {
        window_frames: 10,
        ..FeatureConfig::speech()
    };
    let db = feature_matrix(&test_signal(8000 * 2, 8000), &cfg, MatrixKind::LogMelDb).expect("db");
    let opts = SpectrogramOptions {
        title: "test".into(),
        show_windows: true,
        width: 640,
        height: 320,
        ..Default::default()
    };
    let path = dir.path().join("spec.png");
    render_spectrogram_png(&path, &db, &cfg, &opts).expect("render");
    let bytes = std::fs::read(&path).expect("read png");
    assert_eq!(png_size(&bytes), (640, 320));
    assert_eq!(files_in(dir.path()), 1, "no temp files left behind");
    assert_eq!(
        bytes,
        spectrogram_png(&db, &cfg, &opts).expect("bytes"),
        "file and bytes agree"
    );
}

#[test]
fn spectrogram_bad_input_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = FeatureConfig::speech();
    let opts = SpectrogramOptions::default();
    let wrong_bands = ndarray::Array2::<f32>::zeros((cfg.n_mels + 1, 10));
    let no_frames = ndarray::Array2::<f32>::zeros((cfg.n_mels, 0));
    for m in [&wrong_bands, &no_frames] {
        let path = dir.path().join("bad.png");
        let err = render_spectrogram_png(&path, m, &cfg, &opts).expect_err("shape");
        assert!(matches!(err, PlotError::BadInput { .. }), "{err}");
        assert!(!path.exists());
    }
    let ok = ndarray::Array2::<f32>::zeros((cfg.n_mels, 10));
    let tiny = SpectrogramOptions {
        width: 100,
        ..opts.clone()
    };
    assert!(matches!(
        spectrogram_png(&ok, &cfg, &tiny),
        Err(PlotError::BadInput { .. })
    ));
    let bad_cfg = FeatureConfig {
        n_fft: 0,
        ..cfg.clone()
    };
    assert!(matches!(
        spectrogram_png(&ok, &bad_cfg, &opts),
        Err(PlotError::Config(_))
    ));
    // All-equal values (no dB range) still draw.
    assert_eq!(
        png_size(&spectrogram_png(&ok, &cfg, &opts).expect("flat")),
        (1000, 500)
    );
}

#[test]
fn history_png_with_and_without_validation() {
    let points: Vec<EpochPoint> = (1..=5)
        .map(|e| EpochPoint {
            epoch: e,
            train_loss: 2.0 / e as f32,
            train_acc: 0.15 * e as f32,
            val_loss: Some(2.2 / e as f32),
            val_acc: Some(0.14 * e as f32),
            lr: 1e-3 / e as f64,
        })
        .collect();
    let none = HistoryMarks::default();
    assert_eq!(
        png_size(&history_png(&points, &none).expect("png")),
        HISTORY_SIZE
    );
    let train_only: Vec<EpochPoint> = points
        .iter()
        .map(|p| EpochPoint {
            val_loss: None,
            val_acc: None,
            ..*p
        })
        .collect();
    let a = history_png(&points, &none).expect("png");
    let b = history_png(&train_only, &none).expect("png");
    assert_ne!(a, b, "the validation curve is drawn");
    assert_eq!(
        png_size(&history_png(&[], &none).expect("empty")),
        HISTORY_SIZE
    );
    // The best epoch and the validation clip accuracy are drawn (issue 13).
    let marks = HistoryMarks {
        best_epoch: Some(4),
        val_clip_accuracy: Some(0.8),
    };
    let marked = history_png(&points, &marks).expect("png");
    assert_ne!(marked, a, "the best epoch is marked");
    let best_only = HistoryMarks {
        val_clip_accuracy: None,
        ..marks
    };
    assert_ne!(
        history_png(&points, &best_only).expect("png"),
        marked,
        "the clip accuracy is drawn"
    );
    // The learning rate is drawn.
    let flat_lr: Vec<EpochPoint> = points
        .iter()
        .map(|p| EpochPoint { lr: 1e-3, ..*p })
        .collect();
    assert_ne!(history_png(&flat_lr, &none).expect("png"), a);
    if let Some(dir) = std::env::var_os("HARK_PICTURES") {
        std::fs::write(Path::new(&dir).join("history.png"), &marked).expect("keep picture");
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.png");
    render_history_png(&path, &points, &none).expect("write");
    assert_eq!(std::fs::read(&path).expect("read"), a);
    assert_eq!(files_in(dir.path()), 1, "no temp files left behind");
    let missing = dir.path().join("missing/history.png");
    let err = render_history_png(&missing, &points, &none).expect_err("no folder");
    assert!(matches!(err, PlotError::Write { .. }) && err.to_string().contains("missing"));
}

fn diagonal(n: usize) -> (Vec<String>, Vec<Vec<usize>>) {
    let classes = (0..n).map(|i| format!("c{i}")).collect();
    let counts = (0..n)
        .map(|t| (0..n).map(|p| usize::from(t == p)).collect())
        .collect();
    (classes, counts)
}

#[test]
fn confusion_png_grows_with_class_count() {
    let dims = |n: usize| {
        let (classes, counts) = diagonal(n);
        let data = ConfusionData {
            classes: &classes,
            counts: &counts,
            extra_column: None,
        };
        png_size(&confusion_png(&data, "t").expect("renders"))
    };
    let (w3, h3) = dims(3);
    let (w50, h50) = dims(50);
    // 3 classes: 64 px cells; 50 classes: 18 px cells (900 px grid).
    assert!(h3 >= 3 * 64 && h50 >= 50 * 18, "{w3}x{h3} {w50}x{h50}");
    assert!(w50 > w3 && h50 > h3);
}

#[test]
fn confusion_extra_column_widens_and_bad_shapes_are_refused() {
    let (classes, counts) = diagonal(4);
    let unknown = [1, 0, 2, 0];
    let plain = ConfusionData {
        classes: &classes,
        counts: &counts,
        extra_column: None,
    };
    let with_unknown = ConfusionData {
        extra_column: Some(("unknown", &unknown)),
        ..plain
    };
    let (w, h) = png_size(&confusion_png(&plain, "t").expect("plain"));
    let (wu, hu) = png_size(&confusion_png(&with_unknown, "t").expect("unknown"));
    assert!(wu > w && hu >= h, "{w}x{h} -> {wu}x{hu}");

    let short_row = {
        let mut c = counts.clone();
        c[2].pop();
        c
    };
    let bad = [
        ConfusionData {
            counts: &counts[..3],
            ..plain
        },
        ConfusionData {
            counts: &short_row,
            ..plain
        },
        ConfusionData {
            extra_column: Some(("unknown", &unknown[..3])),
            ..plain
        },
    ];
    for data in &bad {
        let err = confusion_png(data, "t").expect_err("bad shape");
        assert!(matches!(err, PlotError::BadInput { .. }), "{err}");
    }
}

#[test]
fn coverage_png_has_its_size_and_marks_the_chosen_threshold() {
    let sweep: Vec<CoveragePoint> = (0..10)
        .map(|i| CoveragePoint {
            threshold: 0.1 * i as f32,
            precision: 0.7 + 0.03 * i as f32,
            coverage: 1.0 - 0.08 * i as f32,
        })
        .collect();
    let plain = coverage_png(&sweep, None).expect("png");
    assert_eq!(png_size(&plain), COVERAGE_SIZE);
    let marked = coverage_png(&sweep, Some(0.45)).expect("png");
    assert_ne!(plain, marked, "the threshold in use is drawn");
    // A confident model: every threshold above 0.99 (issue 13: all were labelled t=1.00).
    let confident: Vec<CoveragePoint> = (0..40)
        .map(|i| CoveragePoint {
            threshold: 0.99 + 0.00025 * i as f32,
            precision: 0.9 + 0.0025 * i as f32,
            coverage: 1.0 - 0.024 * i as f32,
        })
        .collect();
    let png = coverage_png(&confident, Some(0.9975)).expect("png");
    if let Some(dir) = std::env::var_os("HARK_PICTURES") {
        std::fs::write(Path::new(&dir).join("coverage.png"), &png).expect("keep picture");
    }
}

#[test]
fn long_labels_are_abbreviated() {
    let cut = abbreviate(&"x".repeat(40));
    assert_eq!(cut.chars().count(), MAX_LABEL_CHARS);
    assert!(cut.ends_with('…'));
    assert_eq!(abbreviate("dog_bark"), "dog_bark");
}
