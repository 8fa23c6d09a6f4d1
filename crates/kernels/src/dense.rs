//! Model stage, inference kernels: dense layers, per-channel affine maps (BatchNorm that could
//! not be folded), ReLU and softmax.

use crate::{check_len, matmul_into};

/// `y = x W + b` for `rows` inputs: `x` `[rows, in_features]`, `weight`
/// `[in_features, out_features]`, `bias` `[out_features]`, `y` `[rows, out_features]`.
pub fn dense_into(
    rows: usize,
    in_features: usize,
    out_features: usize,
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    y: &mut [f32],
) {
    check_len("dense bias", bias.len(), out_features);
    check_len("dense output", y.len(), rows * out_features);
    for row in y.chunks_exact_mut(out_features.max(1)) {
        row.copy_from_slice(bias);
    }
    matmul_into(rows, out_features, in_features, x, weight, y, true);
}

/// `x = max(x, 0)`; NaN stays NaN.
pub fn relu_in_place(x: &mut [f32]) {
    for v in x {
        if *v < 0.0 {
            *v = 0.0;
        }
    }
}

/// `x[c, ..] = x[c, ..] * scale[c] + shift[c]` over `[channels, plane]` values.
pub fn channel_affine_in_place(x: &mut [f32], scale: &[f32], shift: &[f32]) {
    check_len("affine shift", shift.len(), scale.len());
    if scale.is_empty() {
        return;
    }
    check_len("affine input", x.len() % scale.len(), 0);
    let plane = x.len() / scale.len();
    for ((chunk, &s), &t) in x.chunks_exact_mut(plane.max(1)).zip(scale).zip(shift) {
        for v in chunk {
            *v = *v * s + t;
        }
    }
}

/// Softmax of one row, in place, shifted by the row maximum for stability.
pub fn softmax_in_place(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}
