//! Finite-difference check of burn's autodiff gradients through the conv/BatchNorm/pool
//! (SB-CNN) and depthwise-separable (Stride-DS) blocks.
//!
//! This test binary switches the Flex device to f64 before creating any tensor (settings
//! are per process, hence a separate binary), so central differences are accurate to
//! ~1e-10 and a disagreement means a wrong gradient, not rounding.

use hark_model::burn::tensor::{DType, Device, FloatDType, Tensor, TensorData};
use hark_model::{ModelConfig, SbCnnConfig, StrideDsConfig};

/// Central-difference step.
const EPS: f64 = 1e-5;
/// Allowed |autodiff - numeric| relative to max(1e-3, |numeric|).
const REL_TOL: f64 = 1e-4;

fn device() -> Device {
    let mut d = Device::flex();
    // Ignore "already initialised" when both tests run in this process: checked below.
    let _ = d.configure(FloatDType::F64);
    d
}

/// Scalar loss: sum(logits * fixed coefficients). Forward in training mode (autodiff
/// device), so BatchNorm uses batch statistics — a smooth function of the input.
fn check(cfg: ModelConfig, m: usize, f: usize) {
    let plain = device();
    plain.seed(7);
    let ad = plain.clone().autodiff();
    let net = cfg.init(m, f, 3, &ad).expect("init");
    let n = 4 * m * f;
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 7919 % 1000) as f64 / 500.0) - 1.0)
        .collect();
    let coef = Tensor::<2>::from_data(
        TensorData::new(
            vec![
                0.3, -1.1, 0.7, 0.2, 0.5, -0.4, 1.3, -0.9, 0.1, 0.6, -0.2, 0.8,
            ],
            [4, 3],
        ),
        &ad,
    );
    let loss = |x: &[f64], track: bool| {
        let t = Tensor::<4>::from_data(TensorData::new(x.to_vec(), [4, 1, m, f]), &ad);
        let t = if track { t.require_grad() } else { t };
        let l = (net.forward(t.clone()) * coef.clone()).sum();
        (t, l)
    };
    let (xt, l) = loss(&x, true);
    assert_eq!(xt.dtype(), DType::F64, "gradient check must run in f64");
    let grads = l.backward();
    let g = xt
        .grad(&grads)
        .expect("input gradient")
        .into_data()
        .try_into_vec::<f64>()
        .expect("f64");
    let value = |x: &[f64]| {
        loss(x, false)
            .1
            .into_data()
            .try_into_vec::<f64>()
            .expect("f64")[0]
    };
    let mut checked = 0;
    for i in (0..n).step_by(n / 23 + 1) {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[i] += EPS;
        xm[i] -= EPS;
        let num = (value(&xp) - value(&xm)) / (2.0 * EPS);
        let err = (g[i] - num).abs() / num.abs().max(1e-3);
        assert!(
            err < REL_TOL,
            "{cfg:?}: input {i}: autodiff {} vs numeric {num} (rel err {err:e})",
            g[i]
        );
        checked += 1;
    }
    assert!(checked >= 20);
}

#[test]
fn conv_bn_pool_gradients_match_finite_differences() {
    let cfg = SbCnnConfig {
        filters: [3, 4, 4],
        kernel: [3, 3],
        pool: [2, 2],
        dense: 5,
        dropout: 0.0,
    };
    check(ModelConfig::SbCnn(cfg), 8, 6);
}

#[test]
fn depthwise_separable_gradients_match_finite_differences() {
    let cfg = StrideDsConfig {
        filters: 4,
        growth: 1.5,
        strides: vec![[2, 2], [1, 2]],
        dense: 0,
        dropout: 0.0,
        ..Default::default()
    };
    check(ModelConfig::StrideDs(cfg), 8, 8);
}
