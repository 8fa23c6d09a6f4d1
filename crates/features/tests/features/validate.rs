//! `FeatureConfig::validate` rejects each bad parameter and repeats its value.

use hark_features::{FeatureConfig, FeatureError};

#[test]
fn default_config_is_valid_and_derived_values() {
    let cfg = FeatureConfig::default();
    cfg.validate().expect("default is valid");
    assert_eq!(cfg.fmax_hz(), 11025.0);
    assert_eq!(cfg.hop_frames(), 21); // round(41 * 0.5) = round(20.5) = 21
    assert!((cfg.window_seconds() - 41.0 * 512.0 / 22050.0).abs() < 1e-12);
    let json = serde_json::to_string(&cfg).expect("serialise");
    let back: FeatureConfig = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, cfg);
    let partial: FeatureConfig =
        serde_json::from_str(r#"{"sr": 8000, "n_mels": 40}"#).expect("defaults fill in");
    assert_eq!(partial.n_fft, 1024);
}

#[test]
fn validate_rejects_each_bad_parameter() {
    let d = FeatureConfig::default;
    let cases: Vec<(FeatureConfig, &str, &str)> = vec![
        (FeatureConfig { sr: 0, ..d() }, "sr", "0"),
        (FeatureConfig { n_fft: 0, ..d() }, "n_fft", "0"),
        (FeatureConfig { n_fft: 1023, ..d() }, "n_fft", "1023"),
        (
            FeatureConfig {
                hop_length: 0,
                ..d()
            },
            "hop_length",
            "0",
        ),
        (
            FeatureConfig {
                win_length: Some(2048),
                ..d()
            },
            "win_length",
            "2048",
        ),
        (
            FeatureConfig {
                win_length: Some(0),
                ..d()
            },
            "win_length",
            "0",
        ),
        (FeatureConfig { power: 0.0, ..d() }, "power", "0"),
        (
            FeatureConfig {
                power: f32::NAN,
                ..d()
            },
            "power",
            "NaN",
        ),
        (FeatureConfig { n_mels: 0, ..d() }, "n_mels", "0"),
        (FeatureConfig { fmin: -1.0, ..d() }, "fmin", "-1"),
        (
            FeatureConfig {
                fmax: Some(12000.0),
                ..d()
            },
            "fmax",
            "12000",
        ),
        (
            FeatureConfig {
                fmin: 5000.0,
                fmax: Some(4000.0),
                ..d()
            },
            "fmin",
            "5000",
        ),
        (FeatureConfig { amin: 0.0, ..d() }, "amin", "0"),
        (
            FeatureConfig {
                top_db: Some(-1.0),
                ..d()
            },
            "top_db",
            "-1",
        ),
        (
            FeatureConfig {
                window_frames: 0,
                ..d()
            },
            "window_frames",
            "0",
        ),
        (
            FeatureConfig {
                overlap: 0.95,
                ..d()
            },
            "overlap",
            "0.95",
        ),
        (
            FeatureConfig {
                overlap: -0.1,
                ..d()
            },
            "overlap",
            "-0.1",
        ),
        (
            FeatureConfig {
                silence_threshold_db: Some(f32::INFINITY),
                ..d()
            },
            "silence_threshold_db",
            "inf",
        ),
    ];
    for (cfg, name, value) in cases {
        match cfg.validate() {
            Err(FeatureError::InvalidParameter {
                name: n, value: v, ..
            }) => {
                assert_eq!(n, name);
                assert_eq!(v, value, "{name}");
            }
            other => panic!("{name}={value}: expected InvalidParameter, got {other:?}"),
        }
        let msg = cfg.validate().expect_err("invalid").to_string();
        assert!(
            msg.contains(name) && msg.contains(value),
            "message must repeat the value: {msg}"
        );
        assert!(
            hark_features::WindowExtractor::new(&cfg).is_err(),
            "{name}: extractor must refuse"
        );
        assert!(
            hark_features::StreamingExtractor::new(&cfg).is_err(),
            "{name}: stream must refuse"
        );
    }
}
