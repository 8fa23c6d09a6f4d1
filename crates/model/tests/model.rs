//! Integration tests of the architectures: shapes, analytical summary vs burn, small inputs.

use hark_model::burn::module::Module;
use hark_model::burn::tensor::{Device, Tensor};
use hark_model::{ModelConfig, ModelError, SbCnnConfig, StrideDsConfig, summary};

fn configs() -> Vec<ModelConfig> {
    vec![
        ModelConfig::SbCnn(SbCnnConfig::default()),
        ModelConfig::SbCnn(SbCnnConfig {
            pool: [3, 2],
            ..Default::default()
        }),
        ModelConfig::StrideDs(StrideDsConfig::default()),
        ModelConfig::StrideDs(StrideDsConfig {
            dense: 0,
            strides: vec![[2, 2], [2, 1]],
            ..Default::default()
        }),
    ]
}

const SHAPES: [(usize, usize); 4] = [(60, 41), (40, 32), (60, 31), (8, 5)];

#[test]
fn summary_params_equal_burn_num_params() {
    let device = Device::flex();
    for cfg in configs() {
        for (m, f) in SHAPES {
            let s = summary(&cfg, m, f, 10).expect("plan");
            let net = cfg.init(m, f, 10, &device).expect("init");
            // burn counts BatchNorm running mean/variance as parameters too.
            assert_eq!(s.params + s.buffers, net.num_params(), "{cfg:?} {m}x{f}");
            assert_eq!(s.weight_bytes, 4 * net.num_params());
            let layer_sum: usize = s.layers.iter().map(|l| l.params).sum();
            assert_eq!(layer_sum, s.params);
        }
    }
}

#[test]
fn forward_gives_batch_by_classes_for_small_and_default_inputs() {
    let device = Device::flex();
    for cfg in configs() {
        for (m, f) in SHAPES {
            let net = cfg.init(m, f, 7, &device).expect("init");
            let x = Tensor::<4>::ones([3, 1, m, f], &device);
            let y = net.forward(x);
            assert_eq!(y.dims(), [3, 7], "{cfg:?} {m}x{f}");
            let v = y.into_data().try_into_vec::<f32>().expect("f32");
            assert!(v.iter().all(|x| x.is_finite()));
        }
    }
}

#[test]
fn sbcnn_default_layout_matches_hand_count() {
    // 60x41: conv1 same -> 24x60x41, pool 4x2 -> 24x15x20, conv2 -> 48x15x20,
    // pool -> 48x3x10, conv3 -> 48x3x10, flatten 1440, dense 64, dense 10.
    let s = summary(&ModelConfig::default(), 60, 41, 10).expect("plan");
    let conv = |cin: usize, cout: usize| cout * cin * 25 + cout;
    let expected =
        conv(1, 24) + 48 + conv(24, 48) + 96 + conv(48, 48) + 96 + 1440 * 64 + 64 + 64 * 10 + 10;
    assert_eq!(s.params, expected);
    let macs = 60 * 41 * 24 * 25 + 15 * 20 * 48 * 24 * 25 + 3 * 10 * 48 * 48 * 25 + 1440 * 64 + 640;
    assert_eq!(s.macs_per_window, macs);
    let flatten = s
        .layers
        .iter()
        .find(|l| l.name == "flatten")
        .expect("flatten layer");
    assert_eq!(flatten.output_shape, [1440, 1, 1]);
}

#[test]
fn stride_ds_24_cost_on_thesis_input() {
    // Printed so the number in the docs can be checked: 60 mels x 31 frames, 10 classes.
    let s = summary(
        &ModelConfig::StrideDs(StrideDsConfig::default()),
        60,
        31,
        10,
    )
    .expect("plan");
    println!(
        "Stride-DS-24 60x31: params {} buffers {} macs {}",
        s.params, s.buffers, s.macs_per_window
    );
    for l in &s.layers {
        println!(
            "  {:<20} {:?} params {} macs {}",
            l.name, l.output_shape, l.params, l.macs
        );
    }
    assert_eq!(s.params, 51_228);
    assert_eq!(s.macs_per_window, 386_848);
}

#[test]
fn bad_settings_are_errors_not_panics() {
    let device = Device::flex();
    let cfg = ModelConfig::default();
    assert!(matches!(
        cfg.init(60, 41, 0, &device),
        Err(ModelError::ZeroSize { .. })
    ));
    assert!(matches!(
        cfg.init(0, 41, 3, &device),
        Err(ModelError::ZeroSize { .. })
    ));
    let bad_dropout = ModelConfig::SbCnn(SbCnnConfig {
        dropout: 1.0,
        ..Default::default()
    });
    assert!(matches!(
        bad_dropout.init(60, 41, 3, &device),
        Err(ModelError::BadProbability { .. })
    ));
    let zero_filters = ModelConfig::StrideDs(StrideDsConfig {
        filters: 0,
        ..Default::default()
    });
    assert!(zero_filters.validate(60, 31, 3).is_err());
}

#[test]
fn config_serde_round_trip_with_arch_tag() {
    for cfg in configs() {
        let json = serde_json::to_string(&cfg).expect("ser");
        assert!(json.contains("\"arch\""), "{json}");
        let back: ModelConfig = serde_json::from_str(&json).expect("de");
        assert_eq!(back, cfg);
    }
    let partial: ModelConfig =
        serde_json::from_str(r#"{"arch":"stride_ds","filters":16}"#).expect("de");
    assert_eq!(
        partial,
        ModelConfig::StrideDs(StrideDsConfig {
            filters: 16,
            ..Default::default()
        })
    );
}
