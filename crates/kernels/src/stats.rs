//! Model stage, inference kernels: per-band statistics of a log-mel window, the input of the
//! classical classifiers (log-mel statistics + logistic regression / linear SVM).
//!
//! Written here rather than taken from a crate: it is two passes over a `[n_mels, frames]`
//! slice into a caller-owned buffer, and it must compute exactly what hark-model's burn path
//! and the exporters compute (mean, then the population standard deviation from the mean,
//! as numpy's `std(ddof=0)`).

use crate::check_len;

/// Per-band mean and standard deviation over frames: `x` `[n_mels, frames]` row-major,
/// `out` `[2 * n_mels]` = the `n_mels` means, then the `n_mels` standard deviations
/// (population, `ddof = 0`). Sums run in f64, so long windows lose no precision.
pub fn band_stats_into(n_mels: usize, frames: usize, x: &[f32], out: &mut [f32]) {
    check_len("band statistics input", x.len(), n_mels * frames);
    check_len("band statistics output", out.len(), 2 * n_mels);
    let (means, stds) = out.split_at_mut(n_mels);
    for ((row, mean), std) in x.chunks_exact(frames.max(1)).zip(means).zip(stds) {
        let n = row.len() as f64;
        let m = row.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = row.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / n;
        *mean = m as f32;
        *std = var.sqrt() as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f32 rounding of an f64 result.
    const TOL: f32 = 1e-6;

    #[test]
    fn matches_hand_computed_statistics() {
        // Band 0: 1, 2, 3, 6 -> mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5.
        // Band 1: constant 5 -> mean 5, std 0.
        let x = [1.0, 2.0, 3.0, 6.0, 5.0, 5.0, 5.0, 5.0];
        let mut out = [f32::NAN; 4];
        band_stats_into(2, 4, &x, &mut out);
        let want = [3.0, 5.0, 3.5f32.sqrt(), 0.0];
        for (o, w) in out.iter().zip(want) {
            assert!((o - w).abs() < TOL, "{out:?} != {want:?}");
        }
    }

    #[test]
    #[should_panic(expected = "band statistics output")]
    fn a_wrong_output_length_is_a_named_panic() {
        band_stats_into(2, 2, &[0.0; 4], &mut [0.0; 3]);
    }
}
