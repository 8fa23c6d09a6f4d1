//! Model stage, inference kernels: max-pooling with stride equal to the kernel, no padding;
//! remainder rows and columns are dropped (Keras "valid", burn and PyTorch defaults).

use crate::check_len;

/// The geometry of one max-pooling layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPool2d {
    /// Channels.
    pub channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Kernel (and stride) `[height, width]`, both positive.
    pub kernel: [usize; 2],
}

impl MaxPool2d {
    /// Output height `in_h / kh` (0 for a zero kernel).
    pub fn out_h(&self) -> usize {
        self.in_h.checked_div(self.kernel[0]).unwrap_or(0)
    }

    /// Output width `in_w / kw` (0 for a zero kernel).
    pub fn out_w(&self) -> usize {
        self.in_w.checked_div(self.kernel[1]).unwrap_or(0)
    }

    /// Values in one output window.
    pub fn output_len(&self) -> usize {
        self.channels * self.out_h() * self.out_w()
    }

    /// Pool one window `[channels, in_h, in_w]` into `[channels, out_h, out_w]`. NaN
    /// propagates (a NaN anywhere in a cell makes that output NaN).
    pub fn forward_into(&self, input: &[f32], output: &mut [f32]) {
        check_len(
            "pool input",
            input.len(),
            self.channels * self.in_h * self.in_w,
        );
        check_len("pool output", output.len(), self.output_len());
        let [kh, kw] = self.kernel;
        let (oh, ow) = (self.out_h(), self.out_w());
        if oh == 0 || ow == 0 {
            return;
        }
        let iw = self.in_w;
        let plane_len = self.in_h * iw;
        for (plane, out) in input
            .chunks_exact(plane_len)
            .zip(output.chunks_exact_mut(oh * ow))
        {
            // Row by row: each input row folds into its output row, so the loops run over
            // contiguous memory (the first kernel row initialises).
            for (oy, out_row) in out.chunks_exact_mut(ow).enumerate() {
                for ky in 0..kh {
                    let row = &plane[(oy * kh + ky) * iw..][..ow * kw];
                    for (o, cell) in out_row.iter_mut().zip(row.chunks_exact(kw)) {
                        let mut m = if ky == 0 { f32::NEG_INFINITY } else { *o };
                        for &v in cell {
                            m = max_nan(m, v);
                        }
                        *o = m;
                    }
                }
            }
        }
    }
}

/// The larger of `m` and `v`; NaN wins (unlike `f32::max`), so a NaN is never hidden.
#[inline]
fn max_nan(m: f32, v: f32) -> f32 {
    if v > m || v.is_nan() { v } else { m }
}
