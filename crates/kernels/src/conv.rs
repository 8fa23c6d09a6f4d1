//! Model stage, inference kernels: 2-D convolution (cross-correlation) of one window, lowered
//! to matrix products with im2col, plus a direct depthwise path and BatchNorm folding.

use crate::{check_len, check_min_len, matmul_into};

/// The geometry of one convolution layer, planned once per model.
///
/// Output size follows every framework: `(in + pad_before + pad_after - kernel) / stride + 1`
/// per axis (0 when the padded input is smaller than the kernel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2d {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Input height (mel bands at the first layer).
    pub in_h: usize,
    /// Input width (frames at the first layer).
    pub in_w: usize,
    /// Kernel `[height, width]`.
    pub kernel: [usize; 2],
    /// Stride `[height, width]`.
    pub stride: [usize; 2],
    /// Zero padding `[top, left, bottom, right]`.
    pub padding: [usize; 4],
    /// Channel groups; both channel counts must be multiples of it.
    pub groups: usize,
}

impl Conv2d {
    /// Check that the geometry is usable: non-zero kernel, stride and groups, channel counts
    /// divisible by `groups`. Returns what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.kernel.contains(&0) || self.stride.contains(&0) {
            return Err(format!(
                "kernel {:?} and stride {:?} must be positive",
                self.kernel, self.stride
            ));
        }
        if self.groups == 0
            || !self.in_channels.is_multiple_of(self.groups)
            || !self.out_channels.is_multiple_of(self.groups)
        {
            return Err(format!(
                "{} input and {} output channels do not split into {} groups",
                self.in_channels, self.out_channels, self.groups
            ));
        }
        Ok(())
    }

    /// Output height.
    pub fn out_h(&self) -> usize {
        out_len(
            self.in_h,
            self.padding[0] + self.padding[2],
            self.kernel[0],
            self.stride[0],
        )
    }

    /// Output width.
    pub fn out_w(&self) -> usize {
        out_len(
            self.in_w,
            self.padding[1] + self.padding[3],
            self.kernel[1],
            self.stride[1],
        )
    }

    /// Values in one input window.
    pub fn input_len(&self) -> usize {
        self.in_channels * self.in_h * self.in_w
    }

    /// Values in one output window.
    pub fn output_len(&self) -> usize {
        self.out_channels * self.out_h() * self.out_w()
    }

    /// Values in the weight tensor `[out, in / groups, kh, kw]`.
    pub fn weight_len(&self) -> usize {
        self.out_channels * self.in_channels / self.groups * self.kernel[0] * self.kernel[1]
    }

    /// Scratch values [`Conv2d::forward_into`] needs (0 for depthwise and plain 1x1 layers).
    pub fn scratch_len(&self) -> usize {
        if self.is_depthwise() || self.is_pointwise() {
            0
        } else {
            self.in_channels / self.groups
                * self.kernel[0]
                * self.kernel[1]
                * self.out_h()
                * self.out_w()
        }
    }

    /// One input and one output channel per group: computed directly, without a product.
    fn is_depthwise(&self) -> bool {
        self.groups == self.in_channels && self.groups == self.out_channels
    }

    /// 1x1, stride 1, unpadded: the input already is the im2col matrix.
    fn is_pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0; 4]
    }

    /// Convolve one window: `output = conv(input, weight) + bias`.
    ///
    /// `input` is `[in_channels, in_h, in_w]`, `weight` `[out, in / groups, kh, kw]`, `bias`
    /// `[out]` (or none), `output` `[out, out_h, out_w]`; `scratch` holds at least
    /// [`Conv2d::scratch_len`] values and its contents are overwritten.
    pub fn forward_into(
        &self,
        input: &[f32],
        weight: &[f32],
        bias: Option<&[f32]>,
        output: &mut [f32],
        scratch: &mut [f32],
    ) {
        check_len("conv input", input.len(), self.input_len());
        check_len("conv weight", weight.len(), self.weight_len());
        check_len("conv output", output.len(), self.output_len());
        check_min_len("conv scratch", scratch.len(), self.scratch_len());
        let n = self.out_h() * self.out_w();
        match bias {
            Some(b) => {
                check_len("conv bias", b.len(), self.out_channels);
                for (row, &b) in output.chunks_exact_mut(n.max(1)).zip(b) {
                    row.fill(b);
                }
            }
            None => output.fill(0.0),
        }
        if n == 0 {
            return;
        }
        if self.is_depthwise() {
            self.depthwise_acc(input, weight, output);
            return;
        }
        let cpg = self.in_channels / self.groups;
        let opg = self.out_channels / self.groups;
        let k = cpg * self.kernel[0] * self.kernel[1];
        let plane = self.in_h * self.in_w;
        for g in 0..self.groups {
            let w = &weight[g * opg * k..][..opg * k];
            let out = &mut output[g * opg * n..][..opg * n];
            if self.is_pointwise() {
                matmul_into(
                    opg,
                    n,
                    k,
                    w,
                    &input[g * cpg * plane..][..cpg * plane],
                    out,
                    true,
                );
            } else {
                let col = &mut scratch[..k * n];
                self.im2col(input, g * cpg, cpg, col);
                matmul_into(opg, n, k, w, col, out, true);
            }
        }
    }

    /// Allocating wrapper around [`Conv2d::forward_into`].
    pub fn forward(&self, input: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        let mut out = vec![0.0; self.output_len()];
        let mut scratch = vec![0.0; self.scratch_len()];
        self.forward_into(input, weight, bias, &mut out, &mut scratch);
        out
    }

    /// Lower channels `c0..c0 + cpg` to the `[cpg * kh * kw, out_h * out_w]` matrix whose
    /// product with the group's weights is the convolution; padding reads as zero.
    fn im2col(&self, input: &[f32], c0: usize, cpg: usize, col: &mut [f32]) {
        let (ih, iw) = (self.in_h, self.in_w);
        let [kh, kw] = self.kernel;
        let [sh, sw] = self.stride;
        let (pt, pl) = (self.padding[0], self.padding[1]);
        let (oh, ow) = (self.out_h(), self.out_w());
        let n = oh * ow;
        let mut rows = col.chunks_exact_mut(n);
        for c in c0..c0 + cpg {
            let plane = &input[c * ih * iw..][..ih * iw];
            for ky in 0..kh {
                for kx in 0..kw {
                    let Some(row) = rows.next() else { return };
                    for (oy, dst) in row.chunks_exact_mut(ow).enumerate() {
                        let iy = (oy * sh + ky).wrapping_sub(pt);
                        if iy >= ih {
                            dst.fill(0.0);
                            continue;
                        }
                        let src = &plane[iy * iw..][..iw];
                        if sw == 1 {
                            // ix = ox + kx - pl is inside the row for ox in lo..hi.
                            let lo = pl.saturating_sub(kx).min(ow);
                            let hi = (iw + pl).saturating_sub(kx).min(ow).max(lo);
                            dst[..lo].fill(0.0);
                            dst[hi..].fill(0.0);
                            if hi > lo {
                                let s0 = lo + kx - pl;
                                dst[lo..hi].copy_from_slice(&src[s0..s0 + hi - lo]);
                            }
                        } else {
                            for (ox, d) in dst.iter_mut().enumerate() {
                                let ix = (ox * sw + kx).wrapping_sub(pl);
                                *d = if ix < iw { src[ix] } else { 0.0 };
                            }
                        }
                    }
                }
            }
        }
    }

    /// Depthwise convolution (one input and one output channel per group), accumulated into
    /// `output`. Direct loops: per channel it is a tiny 2-D filter, too small for a product.
    fn depthwise_acc(&self, input: &[f32], weight: &[f32], output: &mut [f32]) {
        let (ih, iw) = (self.in_h, self.in_w);
        let [kh, kw] = self.kernel;
        let [sh, sw] = self.stride;
        let (pt, pl) = (self.padding[0], self.padding[1]);
        let (oh, ow) = (self.out_h(), self.out_w());
        for c in 0..self.in_channels {
            let plane = &input[c * ih * iw..][..ih * iw];
            let w = &weight[c * kh * kw..][..kh * kw];
            let out = &mut output[c * oh * ow..][..oh * ow];
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = 0.0f32;
                    for ky in 0..kh {
                        let iy = (oy * sh + ky).wrapping_sub(pt);
                        if iy >= ih {
                            continue;
                        }
                        for kx in 0..kw {
                            let ix = (ox * sw + kx).wrapping_sub(pl);
                            if ix < iw {
                                acc += w[ky * kw + kx] * plane[iy * iw + ix];
                            }
                        }
                    }
                    out[oy * ow + ox] += acc;
                }
            }
        }
    }
}

fn out_len(input: usize, pad: usize, kernel: usize, stride: usize) -> usize {
    let padded = input + pad;
    if padded < kernel || stride == 0 {
        0
    } else {
        (padded - kernel) / stride + 1
    }
}

/// Fold inference BatchNorm into the convolution before it, so that the folded layer computes
/// `gamma * (conv(x) - mean) / sqrt(var + epsilon) + beta` in one pass.
///
/// `weight` holds `out_channels` equal rows (`[out, ...]`), `bias` `[out]` (zeros when the
/// convolution had none); both are rewritten. The scale is computed in f64.
pub fn fold_batch_norm(
    weight: &mut [f32],
    bias: &mut [f32],
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    var: &[f32],
    epsilon: f64,
) {
    let c = bias.len();
    for (what, v) in [
        ("gamma", gamma),
        ("beta", beta),
        ("running_mean", mean),
        ("running_var", var),
    ] {
        check_len(what, v.len(), c);
    }
    if c == 0 {
        return;
    }
    check_len("folded weight", weight.len() % c, 0);
    let per = weight.len() / c;
    for o in 0..c {
        let s = f64::from(gamma[o]) / (f64::from(var[o]) + epsilon).sqrt();
        for w in &mut weight[o * per..][..per] {
            *w = (f64::from(*w) * s) as f32;
        }
        bias[o] = ((f64::from(bias[o]) - f64::from(mean[o])) * s + f64::from(beta[o])) as f32;
    }
}
