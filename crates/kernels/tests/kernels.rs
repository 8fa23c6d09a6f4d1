//! The kernels against naive f64 references on random shapes: odd sizes, asymmetric
//! padding, stride 2, groups, depthwise, inputs smaller than the kernel.

use hark_kernels::{
    Conv2d, MaxPool2d, channel_affine_in_place, dense_into, fold_batch_norm, matmul_into,
    relu_in_place, softmax_in_place,
};

/// Largest allowed |fast - reference| relative to the reference's magnitude scale (the sum of
/// |terms| of the dot product): f32 accumulation over up to ~1000 terms.
const REL_TOL: f64 = 1e-5;

fn rand_vec(rng: &mut fastrand::Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.f32() * 2.0 - 1.0).collect()
}

/// Naive convolution in f64; returns (output, sum of |terms| per output for the tolerance).
fn conv_ref(g: &Conv2d, x: &[f32], w: &[f32], b: Option<&[f32]>) -> (Vec<f64>, Vec<f64>) {
    let (oh, ow) = (g.out_h(), g.out_w());
    let cpg = g.in_channels / g.groups;
    let opg = g.out_channels / g.groups;
    let [kh, kw] = g.kernel;
    let mut out = vec![0.0; g.out_channels * oh * ow];
    let mut mag = vec![0.0; out.len()];
    for o in 0..g.out_channels {
        let grp = o / opg;
        for oy in 0..oh {
            for ox in 0..ow {
                let mut acc = b.map_or(0.0, |b| f64::from(b[o]));
                let mut m = acc.abs();
                for cl in 0..cpg {
                    let c = grp * cpg + cl;
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let iy = (oy * g.stride[0] + ky) as isize - g.padding[0] as isize;
                            let ix = (ox * g.stride[1] + kx) as isize - g.padding[1] as isize;
                            if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                continue;
                            }
                            let xv =
                                f64::from(x[(c * g.in_h + iy as usize) * g.in_w + ix as usize]);
                            let wv = f64::from(w[((o * cpg + cl) * kh + ky) * kw + kx]);
                            acc += xv * wv;
                            m += (xv * wv).abs();
                        }
                    }
                }
                out[(o * oh + oy) * ow + ox] = acc;
                mag[(o * oh + oy) * ow + ox] = m;
            }
        }
    }
    (out, mag)
}

fn assert_close(what: &str, got: &[f32], want: &[f64], mag: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(mag).enumerate() {
        let err = (f64::from(g) - w).abs();
        assert!(
            err <= REL_TOL * m.max(1e-3),
            "{what}: value {i}: got {g}, want {w} (scale {m})"
        );
    }
}

fn check_conv(rng: &mut fastrand::Rng, g: Conv2d, with_bias: bool) {
    g.validate().expect("valid geometry");
    let x = rand_vec(rng, g.input_len());
    let w = rand_vec(rng, g.weight_len());
    let b = rand_vec(rng, g.out_channels);
    let bias = with_bias.then_some(&b[..]);
    let (want, mag) = conv_ref(&g, &x, &w, bias);
    // Scratch is dirty on purpose: the kernel must overwrite what it uses.
    let mut scratch = vec![f32::NAN; g.scratch_len() + 7];
    let mut out = vec![f32::NAN; g.output_len()];
    g.forward_into(&x, &w, bias, &mut out, &mut scratch);
    assert_close(&format!("{g:?}"), &out, &want, &mag);
    assert_eq!(g.forward(&x, &w, bias), out, "allocating wrapper");
}

#[test]
fn conv_matches_naive_reference_on_random_shapes() {
    let mut rng = fastrand::Rng::with_seed(7);
    for case in 0..200 {
        let groups = [1, 1, 1, 2, 3][case % 5];
        let in_channels = groups * rng.usize(1..=4);
        let out_channels = groups * rng.usize(1..=4);
        let kernel = [rng.usize(1..=5), rng.usize(1..=5)];
        let g = Conv2d {
            in_channels,
            out_channels,
            in_h: rng.usize(1..=13),
            in_w: rng.usize(1..=13),
            kernel,
            stride: [rng.usize(1..=2), rng.usize(1..=2)],
            padding: [
                rng.usize(0..kernel[0]),
                rng.usize(0..kernel[1]),
                rng.usize(0..kernel[0]),
                rng.usize(0..kernel[1]),
            ],
            groups,
        };
        check_conv(&mut rng, g, case % 3 != 0);
    }
}

#[test]
fn conv_special_paths_match_reference() {
    let mut rng = fastrand::Rng::with_seed(11);
    let base = Conv2d {
        in_channels: 24,
        out_channels: 24,
        in_h: 30,
        in_w: 21,
        kernel: [3, 3],
        stride: [2, 2],
        padding: [0, 0, 1, 1],
        groups: 24,
    };
    // Depthwise, stride 2, TensorFlow "same" padding (odd pixel bottom/right).
    check_conv(&mut rng, base, false);
    // Depthwise with a channel multiplier goes through the grouped product.
    check_conv(
        &mut rng,
        Conv2d {
            out_channels: 48,
            ..base
        },
        true,
    );
    // Pointwise 1x1 (no im2col).
    check_conv(
        &mut rng,
        Conv2d {
            out_channels: 36,
            kernel: [1, 1],
            stride: [1, 1],
            padding: [0; 4],
            groups: 1,
            ..base
        },
        false,
    );
    // SB-CNN's first layer: 5x5 "same" on 60 x 41, and the input smaller than the kernel.
    check_conv(
        &mut rng,
        Conv2d {
            in_channels: 1,
            out_channels: 24,
            in_h: 60,
            in_w: 41,
            kernel: [5, 5],
            stride: [1, 1],
            padding: [2, 2, 2, 2],
            groups: 1,
        },
        true,
    );
    check_conv(
        &mut rng,
        Conv2d {
            in_channels: 2,
            out_channels: 3,
            in_h: 2,
            in_w: 3,
            kernel: [5, 5],
            stride: [1, 1],
            padding: [2, 2, 2, 2],
            groups: 1,
        },
        true,
    );
}

#[test]
fn conv_with_empty_output_writes_only_nothing() {
    let g = Conv2d {
        in_channels: 1,
        out_channels: 2,
        in_h: 2,
        in_w: 2,
        kernel: [3, 3],
        stride: [1, 1],
        padding: [0; 4],
        groups: 1,
    };
    assert_eq!(g.out_h(), 0);
    assert!(g.forward(&[1.0; 4], &[1.0; 18], None).is_empty());
    assert!(
        Conv2d { groups: 2, ..g }.validate().is_err(),
        "1 input channel does not split into 2 groups"
    );
}

#[test]
fn folded_batch_norm_equals_conv_then_batch_norm() {
    let mut rng = fastrand::Rng::with_seed(3);
    let g = Conv2d {
        in_channels: 3,
        out_channels: 5,
        in_h: 9,
        in_w: 7,
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1, 1, 1],
        groups: 1,
    };
    let x = rand_vec(&mut rng, g.input_len());
    let w = rand_vec(&mut rng, g.weight_len());
    let b = rand_vec(&mut rng, 5);
    let gamma = rand_vec(&mut rng, 5);
    let beta = rand_vec(&mut rng, 5);
    let mean = rand_vec(&mut rng, 5);
    let var: Vec<f32> = (0..5).map(|_| rng.f32() + 0.1).collect();
    let eps = 1e-3;
    let (conv, mag) = conv_ref(&g, &x, &w, Some(&b));
    let plane = g.out_h() * g.out_w();
    let want: Vec<f64> = conv
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = i / plane;
            f64::from(gamma[c]) * (v - f64::from(mean[c])) / (f64::from(var[c]) + eps).sqrt()
                + f64::from(beta[c])
        })
        .collect();
    let scale: Vec<f64> = (0..want.len())
        .map(|i| {
            let c = i / plane;
            (mag[i] + f64::from(mean[c]).abs()) * f64::from(gamma[c]).abs()
                / (f64::from(var[c]) + eps).sqrt()
                + f64::from(beta[c]).abs()
        })
        .collect();
    let (mut wf, mut bf) = (w.clone(), b.clone());
    fold_batch_norm(&mut wf, &mut bf, &gamma, &beta, &mean, &var, eps);
    assert_close("folded", &g.forward(&x, &wf, Some(&bf)), &want, &scale);

    // The same map applied unfolded, as a per-channel affine.
    let mut y = g.forward(&x, &w, Some(&b));
    let s: Vec<f32> = (0..5)
        .map(|c| (f64::from(gamma[c]) / (f64::from(var[c]) + eps).sqrt()) as f32)
        .collect();
    let t: Vec<f32> = (0..5)
        .map(|c| (f64::from(beta[c]) - f64::from(mean[c]) * f64::from(s[c])) as f32)
        .collect();
    channel_affine_in_place(&mut y, &s, &t);
    assert_close("affine", &y, &want, &scale);
}

#[test]
fn max_pool_matches_reference_and_drops_remainders() {
    let mut rng = fastrand::Rng::with_seed(5);
    for _ in 0..50 {
        let p = MaxPool2d {
            channels: rng.usize(1..=4),
            in_h: rng.usize(1..=17),
            in_w: rng.usize(1..=17),
            kernel: [rng.usize(1..=4), rng.usize(1..=4)],
        };
        let x = rand_vec(&mut rng, p.channels * p.in_h * p.in_w);
        let mut out = vec![f32::NAN; p.output_len()];
        p.forward_into(&x, &mut out);
        for c in 0..p.channels {
            for oy in 0..p.out_h() {
                for ox in 0..p.out_w() {
                    let mut m = f32::NEG_INFINITY;
                    for ky in 0..p.kernel[0] {
                        for kx in 0..p.kernel[1] {
                            let (y, x_) = (oy * p.kernel[0] + ky, ox * p.kernel[1] + kx);
                            m = m.max(x[(c * p.in_h + y) * p.in_w + x_]);
                        }
                    }
                    assert_eq!(out[(c * p.out_h() + oy) * p.out_w() + ox], m, "{p:?}");
                }
            }
        }
    }
    // NaN is not hidden by the maximum.
    let p = MaxPool2d {
        channels: 1,
        in_h: 2,
        in_w: 2,
        kernel: [2, 2],
    };
    let mut out = [0.0];
    p.forward_into(&[1.0, f32::NAN, 3.0, 2.0], &mut out);
    assert!(out[0].is_nan());
}

#[test]
fn matmul_and_dense_match_reference() {
    let mut rng = fastrand::Rng::with_seed(9);
    for (m, n, k) in [
        (1, 1, 1),
        (3, 17, 5),
        (24, 2460, 25),
        (1, 64, 1440),
        (7, 3, 0),
    ] {
        let a = rand_vec(&mut rng, m * k);
        let b = rand_vec(&mut rng, k * n);
        let c0 = rand_vec(&mut rng, m * n);
        let mut want = vec![0.0f64; m * n];
        let mut mag = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                for l in 0..k {
                    let t = f64::from(a[i * k + l]) * f64::from(b[l * n + j]);
                    want[i * n + j] += t;
                    mag[i * n + j] += t.abs();
                }
            }
        }
        let mut c = vec![f32::NAN; m * n];
        matmul_into(m, n, k, &a, &b, &mut c, false);
        assert_close("matmul", &c, &want, &mag);
        let mut acc = c0.clone();
        matmul_into(m, n, k, &a, &b, &mut acc, true);
        let want_acc: Vec<f64> = want
            .iter()
            .zip(&c0)
            .map(|(w, c)| w + f64::from(*c))
            .collect();
        assert_close("matmul +=", &acc, &want_acc, &mag);
        // dense: rows = m, in = k, out = n, bias c0's first row.
        if k > 0 {
            let bias = &c0[..n];
            let mut y = vec![0.0; m * n];
            dense_into(m, k, n, &a, &b, bias, &mut y);
            let want_d: Vec<f64> = want
                .iter()
                .enumerate()
                .map(|(i, w)| w + f64::from(bias[i % n]))
                .collect();
            assert_close("dense", &y, &want_d, &mag);
        }
    }
}

#[test]
fn relu_and_softmax() {
    let mut x = [-1.0, 0.0, 2.5, f32::NAN];
    relu_in_place(&mut x);
    assert_eq!(&x[..3], &[0.0, 0.0, 2.5]);
    assert!(x[3].is_nan());
    let mut s = [1000.0f32, 1001.0, 999.0];
    softmax_in_place(&mut s);
    let e = [(-1.0f64).exp(), 1.0, (-2.0f64).exp()];
    let z: f64 = e.iter().sum();
    for (got, want) in s.iter().zip(e) {
        assert!((f64::from(*got) - want / z).abs() < 1e-6, "{s:?}");
    }
}
