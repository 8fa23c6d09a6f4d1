//! Applying an [`AugmentConfig`] to a mini-batch (train stage), one random stream per
//! (seed, epoch, window, transform).

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution};
use serde::Serialize;

use super::AugmentConfig;
use crate::rng::SplitMix64;
use crate::{TrainError, WindowSet};

/// What was applied to one training example, for `--log-augment`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    /// 1-based epoch.
    pub epoch: usize,
    /// Index of the window in the training set.
    pub window: usize,
    /// Its clip id.
    pub clip: u32,
    /// Frequency masks as `[first band, width]`.
    pub freq_masks: Vec<[usize; 2]>,
    /// Time masks as `[first frame, width]`.
    pub time_masks: Vec<[usize; 2]>,
    /// The mixup partner, if this example was mixed.
    pub mixup: Option<Mixed>,
}

/// One mixup: the result is `lambda * this + (1 - lambda) * window`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mixed {
    /// Index of the other window in the training set.
    pub with: usize,
    /// Weight of this example.
    pub lambda: f32,
}

/// Transform ids in the random-stream derivation; never renumber (streams would change).
const STREAM_FREQ: u64 = 1;
const STREAM_TIME: u64 = 2;
const STREAM_MIXUP: u64 = 3;

/// The random stream of one (seed, epoch, window, transform).
fn stream(seed: u64, epoch: usize, window: usize, transform: u64) -> Xoshiro256PlusPlus {
    let mut key = seed;
    for part in [epoch as u64, window as u64, transform] {
        key = SplitMix64::new(key ^ SplitMix64::new(part).next_u64()).next_u64();
    }
    Xoshiro256PlusPlus::seed_from_u64(key)
}

/// Applies an [`AugmentConfig`] to mini-batches; owns its scratch buffer.
#[derive(Debug, Clone)]
pub struct Augmenter {
    cfg: AugmentConfig,
    seed: u64,
    beta: Option<Beta<f32>>,
    mixed: Vec<f32>,
    mixed_target: Vec<f32>,
}

impl Augmenter {
    /// An augmenter for `cfg`, drawing from streams derived from `seed`.
    pub fn new(cfg: &AugmentConfig, seed: u64) -> Result<Augmenter, TrainError> {
        cfg.validate()?;
        let beta = match &cfg.mixup {
            Some(m) => Some(
                Beta::new(m.alpha, m.alpha)
                    .map_err(|e| TrainError::setting("augment.mixup.alpha", format!("{e}")))?,
            ),
            None => None,
        };
        Ok(Augmenter {
            cfg: cfg.clone(),
            seed,
            beta,
            mixed: Vec::new(),
            mixed_target: Vec::new(),
        })
    }

    /// Augment one batch in place. `x` holds the windows `idx` of `set` in order
    /// (`idx.len() * window_len` values) and `target` their target rows (`n_classes` each,
    /// summing to 1 over the batch); both come back augmented, `target` again summing to 1.
    /// When `log` is given, one [`Applied`] per example is appended to it.
    pub fn apply(
        &mut self,
        epoch: usize,
        set: &WindowSet,
        idx: &[usize],
        x: &mut [f32],
        target: &mut [f32],
        log: Option<&mut Vec<Applied>>,
    ) {
        let (h, w) = (set.n_mels, set.n_frames);
        let n = h * w;
        // Records only when asked: no allocation per window otherwise.
        let mut log = log;
        let base = log.as_ref().map_or(0, |l| l.len());
        if let Some(l) = log.as_deref_mut() {
            l.extend(idx.iter().map(|&i| Applied {
                epoch,
                window: i,
                clip: set.clip_ids[i],
                freq_masks: Vec::new(),
                time_masks: Vec::new(),
                mixup: None,
            }));
        }
        for (k, &i) in idx.iter().enumerate() {
            let win = &mut x[k * n..(k + 1) * n];
            let mut rec = log.as_deref_mut().map(|l| &mut l[base + k]);
            let mean = win.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
            if let Some(m) = &self.cfg.freq_mask {
                let mut rng = stream(self.seed, epoch, i, STREAM_FREQ);
                if rng.random::<f32>() < m.p {
                    for _ in 0..m.count {
                        let [start, width] = span(&mut rng, h, m.max_bands.min(h));
                        for row in win.chunks_mut(w).skip(start).take(width) {
                            row.fill(mean as f32);
                        }
                        if let Some(r) = rec.as_deref_mut() {
                            r.freq_masks.push([start, width]);
                        }
                    }
                }
            }
            if let Some(m) = &self.cfg.time_mask {
                let mut rng = stream(self.seed, epoch, i, STREAM_TIME);
                if rng.random::<f32>() < m.p {
                    let max = ((m.max_fraction * w as f32) as usize).min(w);
                    for _ in 0..m.count {
                        let [start, width] = span(&mut rng, w, max);
                        for row in win.chunks_mut(w) {
                            row[start..start + width].fill(mean as f32);
                        }
                        if let Some(r) = rec.as_deref_mut() {
                            r.time_masks.push([start, width]);
                        }
                    }
                }
            }
        }
        if let (Some(m), Some(beta)) = (&self.cfg.mixup, &self.beta)
            && idx.len() >= 2
        {
            let c = target.len() / idx.len();
            // Mix from the masked, unmixed batch so that mixing order does not matter.
            self.mixed.clear();
            self.mixed.extend_from_slice(x);
            self.mixed_target.clear();
            self.mixed_target.extend_from_slice(target);
            for (k, &i) in idx.iter().enumerate() {
                let mut rng = stream(self.seed, epoch, i, STREAM_MIXUP);
                if rng.random::<f32>() >= m.p {
                    continue;
                }
                // Another position of the batch, uniformly.
                let mut j = rng.random_range(0..idx.len() - 1);
                if j >= k {
                    j += 1;
                }
                let lambda = beta.sample(&mut rng);
                let (xi, xj) = (k * n, j * n);
                for t in 0..n {
                    x[xi + t] = lambda * self.mixed[xi + t] + (1.0 - lambda) * self.mixed[xj + t];
                }
                // Each example keeps its own weight (its row's sum); its label distribution
                // becomes lambda * own + (1 - lambda) * other's.
                let own: f32 = self.mixed_target[k * c..(k + 1) * c].iter().sum();
                let other: f32 = self.mixed_target[j * c..(j + 1) * c].iter().sum();
                for t in 0..c {
                    let a = self.mixed_target[k * c + t] / own;
                    let b = self.mixed_target[j * c + t] / other;
                    target[k * c + t] = own * (lambda * a + (1.0 - lambda) * b);
                }
                if let Some(l) = log.as_deref_mut() {
                    l[base + k].mixup = Some(Mixed {
                        with: idx[j],
                        lambda,
                    });
                }
            }
        }
    }
}

/// A span `[start, width]` inside `0..len` with `width` uniform in `0..=max` and `start`
/// uniform over the positions where it fits.
fn span(rng: &mut Xoshiro256PlusPlus, len: usize, max: usize) -> [usize; 2] {
    let width = rng.random_range(0..=max.min(len));
    let start = rng.random_range(0..=len - width);
    [start, width]
}
