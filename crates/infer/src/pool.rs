//! Clip pooling as windows arrive (predict/stream stage): the running form of
//! [`crate::aggregate_into`], so a recording of any length is pooled at constant memory and
//! gives the very numbers the whole-clip pooling gives.

use crate::{Aggregation, argmax};

/// Running sums for [`crate::aggregate_into`]'s two poolings: per-class probability sums
/// (NaN counts as 0) and arg-max votes, added in window order.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipPool {
    sums: Vec<f32>,
    votes: Vec<f32>,
    windows: usize,
}

impl ClipPool {
    /// An empty pool for `n_classes` classes.
    pub fn new(n_classes: usize) -> ClipPool {
        ClipPool {
            sums: vec![0.0; n_classes],
            votes: vec![0.0; n_classes],
            windows: 0,
        }
    }

    /// Windows added since the last reset.
    pub fn windows(&self) -> usize {
        self.windows
    }

    /// Add one window's probabilities (`n_classes` long; a longer row is cut, a shorter one
    /// adds what it has).
    pub fn add(&mut self, row: &[f32]) {
        for (s, &p) in self.sums.iter_mut().zip(row) {
            if !p.is_nan() {
                *s += p;
            }
        }
        if let Some(c) = argmax(row)
            && let Some(v) = self.votes.get_mut(c)
        {
            *v += 1.0;
        }
        self.windows += 1;
    }

    /// The clip probabilities of every window added, pooled as `agg` (the values
    /// [`crate::aggregate_into`] gives for the same rows, bit for bit). Zero windows give
    /// zeros.
    pub fn pooled(&self, agg: Aggregation) -> Vec<f32> {
        if self.windows == 0 {
            return vec![0.0; self.sums.len()];
        }
        let inv = 1.0 / self.windows as f32;
        match agg {
            Aggregation::Mean => self.sums.iter().map(|s| s * inv).collect(),
            Aggregation::Majority => {
                let top = self.votes.iter().copied().fold(0.0f32, f32::max);
                let tied = self.votes.iter().filter(|&&v| v == top).count();
                let mut out: Vec<f32> = self.votes.iter().map(|v| v * inv).collect();
                if top > 0.0 && tied > 1 {
                    // The tie goes to the highest mean probability, as in aggregate_into.
                    let mut best: Option<(usize, f32)> = None;
                    for c in (0..out.len()).filter(|&c| self.votes[c] == top) {
                        let mean = self.sums[c] * inv;
                        if best.is_none_or(|(_, b)| mean > b) {
                            best = Some((c, mean));
                        }
                    }
                    if let Some((c, _)) = best {
                        out[c] = out[c].next_up();
                    }
                }
                out
            }
        }
    }

    /// Forget every window.
    pub fn reset(&mut self) {
        self.sums.fill(0.0);
        self.votes.fill(0.0);
        self.windows = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate;

    #[test]
    fn running_pooling_equals_whole_clip_pooling_bit_for_bit() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for case in 0..200 {
            let n_classes = 1 + case % 5;
            let n = case % 37;
            let mut rows = Vec::new();
            for _ in 0..n * n_classes {
                // Coarse values make vote ties common; a NaN now and then.
                let v = (next() * 4.0).floor() / 4.0;
                rows.push(if next() < 0.02 { f32::NAN } else { v });
            }
            let mut pool = ClipPool::new(n_classes);
            for r in rows.chunks_exact(n_classes) {
                pool.add(r);
            }
            for agg in [Aggregation::Mean, Aggregation::Majority] {
                let want = aggregate(&rows, n_classes, agg);
                let got = pool.pooled(agg);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "case {case} {agg:?}");
            }
        }
    }
}
