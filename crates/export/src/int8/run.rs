//! The integer reference: [`Int8Network`] run on the host with the arithmetic the C
//! export's kernels use (int8 x int8 -> int32 sums, [`requantize`]). Written plainly, one
//! output at a time, because its job is to be obviously right; the C code must match it
//! bit for bit (`tests/c.rs`).

use super::{Int8Network, QStep, QWeights, Requant};

/// Buffers for [`Int8Network::logits_into`]; reuse across windows.
#[derive(Debug, Clone, Default)]
pub struct Int8Workspace {
    a: Vec<i8>,
    b: Vec<i8>,
}

/// `round(acc * multiplier / 2^shift)`, halves rounded up, in 64-bit integers (the C
/// runtime's `hark_requantize` computes the same; floor division keeps it defined for
/// negative products in C).
pub fn requantize(acc: i32, r: Requant) -> i64 {
    let p = i64::from(acc) * i64::from(r.multiplier) + (1i64 << (r.shift - 1));
    p.div_euclid(1i64 << r.shift)
}

/// `zero_point + requantize(acc)`, clamped to `[lo, 127]`.
fn to_int8(acc: i32, r: Requant, zero_point: i32, relu: bool) -> i8 {
    let lo = if relu { zero_point } else { -128 };
    (requantize(acc, r) + i64::from(zero_point)).clamp(i64::from(lo), 127) as i8
}

impl Int8Network {
    /// Buffers sized for this network.
    pub fn workspace(&self) -> Int8Workspace {
        let max = self.lens.iter().copied().fold(self.input_len, usize::max);
        Int8Workspace {
            a: vec![0; max],
            b: vec![0; max],
        }
    }

    /// Float logits of one normalised window (`input_len` values), written to `logits`.
    pub fn logits_into(&self, window: &[f32], ws: &mut Int8Workspace, logits: &mut [f32]) {
        if ws.a.len() < self.input_len || self.lens.iter().any(|&l| ws.a.len() < l) {
            *ws = self.workspace();
        }
        let Int8Workspace { a, b } = ws;
        let (mut cur, mut next) = (a, b);
        for (q, &x) in cur.iter_mut().zip(window) {
            *q = self.input.quantize(x);
        }
        let mut len = self.input_len;
        for (step, &out_len) in self.steps.iter().zip(&self.lens) {
            let (x, y) = (&cur[..len], &mut next[..out_len]);
            match step {
                QStep::Conv {
                    geom: g,
                    w,
                    requant,
                    output,
                    relu,
                } => {
                    let (icg, ocg) = (g.in_channels / g.groups, g.out_channels / g.groups);
                    let (oh, ow) = (g.out_h(), g.out_w());
                    let taps = icg * g.kernel[0] * g.kernel[1];
                    for o in 0..g.out_channels {
                        let first_in = (o / ocg) * icg;
                        let wo = &w.weight[o * taps..(o + 1) * taps];
                        for oy in 0..oh {
                            for ox in 0..ow {
                                let mut acc = w.bias[o];
                                for ci in 0..icg {
                                    for ky in 0..g.kernel[0] {
                                        for kx in 0..g.kernel[1] {
                                            let iy = (oy * g.stride[0] + ky) as isize
                                                - g.padding[0] as isize;
                                            let ix = (ox * g.stride[1] + kx) as isize
                                                - g.padding[1] as isize;
                                            if iy < 0
                                                || ix < 0
                                                || iy >= g.in_h as isize
                                                || ix >= g.in_w as isize
                                            {
                                                continue; // zero padding is the zero point
                                            }
                                            let xv = x[((first_in + ci) * g.in_h + iy as usize)
                                                * g.in_w
                                                + ix as usize];
                                            let wv = wo[(ci * g.kernel[0] + ky) * g.kernel[1] + kx];
                                            acc += i32::from(wv)
                                                * (i32::from(xv) - w.input_zero_point);
                                        }
                                    }
                                }
                                y[(o * oh + oy) * ow + ox] =
                                    to_int8(acc, requant[o], output.zero_point, *relu);
                            }
                        }
                    }
                }
                QStep::Pool(p) => {
                    let (oh, ow) = (p.out_h(), p.out_w());
                    for c in 0..p.channels {
                        for oy in 0..oh {
                            for ox in 0..ow {
                                let mut m = i8::MIN;
                                for ky in 0..p.kernel[0] {
                                    for kx in 0..p.kernel[1] {
                                        let iy = oy * p.kernel[0] + ky;
                                        let ix = ox * p.kernel[1] + kx;
                                        m = m.max(x[(c * p.in_h + iy) * p.in_w + ix]);
                                    }
                                }
                                y[(c * oh + oy) * ow + ox] = m;
                            }
                        }
                    }
                }
                QStep::Dense {
                    w,
                    requant,
                    output,
                    relu,
                } => {
                    for (o, out) in y.iter_mut().enumerate() {
                        let acc = dot(w, o, x);
                        *out = to_int8(acc, requant[o], output.zero_point, *relu);
                    }
                }
                QStep::Logits { w } => {
                    for (o, l) in logits.iter_mut().enumerate() {
                        *l = dot(w, o, x) as f32 * w.acc_scale[o];
                    }
                    return;
                }
            }
            std::mem::swap(&mut cur, &mut next);
            len = out_len;
        }
    }
}

/// Output `o`'s accumulator of a dense layer (`[out, in]` weights) on `x`.
fn dot(w: &QWeights, o: usize, x: &[i8]) -> i32 {
    let row = &w.weight[o * x.len()..(o + 1) * x.len()];
    row.iter().zip(x).fold(w.bias[o], |acc, (&wv, &xv)| {
        acc + i32::from(wv) * (i32::from(xv) - w.input_zero_point)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest difference, in output steps, between [`requantize`] and exact arithmetic:
    /// half a step of rounding plus the 31-bit multiplier's relative error.
    const REQUANT_TOL: f64 = 0.5 + 1e-6;

    #[test]
    fn requantize_rounds_to_the_nearest_step() {
        let mut z = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            z
        };
        for _ in 0..20_000 {
            let m = 2f64.powf(-((next() % 2000) as f64 / 100.0)); // 1 .. 1e-6
            let acc = (next() % (1 << 24)) as i32 - (1 << 23);
            let r = Requant::new(m).expect("factor");
            let exact = f64::from(acc) * m;
            let got = requantize(acc, r) as f64;
            assert!(
                (got - exact).abs() <= REQUANT_TOL + exact.abs() * 2f64.powi(-30),
                "acc {acc} x {m}: {got} vs {exact}"
            );
        }
        // Halves go up, on both sides of zero.
        let half = Requant::new(0.5).expect("0.5");
        assert_eq!(requantize(3, half), 2);
        assert_eq!(requantize(-3, half), -1);
        assert_eq!(requantize(-4, half), -2);
    }

    #[test]
    fn quantisation_parameters_hold_zero_and_the_range() {
        let q = super::super::QParams::covering(-1.5, 4.0);
        assert_eq!(q.quantize(0.0) as i32, q.zero_point);
        assert_eq!(q.quantize(-1.5), -128);
        assert_eq!(q.quantize(4.0), 127);
        assert_eq!(q.quantize(100.0), 127);
        let relu = super::super::QParams::covering(0.0, 6.0);
        assert_eq!(relu.zero_point, -128);
    }
}
