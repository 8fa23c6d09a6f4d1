//! What the training audio looked like, so prediction can say when an input is far from it
//! (inference core: written by training, read by predict).
//!
//! A classifier answers every input with some class, confidently or not: a dog-bark model
//! fed an 8 kHz phone recording, a day-long file or a whisper still prints a label. The
//! [`InputProfile`] records three things about the training clips that a user can get wrong
//! without noticing (the recording's own sample rate, the clip length and the level), and
//! [`InputProfile::check`] turns an input far outside them into warnings in words. The
//! margins are named constants; they flag inputs that are clearly unlike the training data,
//! not every small difference.

use serde::{Deserialize, Serialize};

/// An input is "much shorter" than the training clips below this share of their 5th
/// percentile duration.
pub const SHORT_FACTOR: f32 = 0.5;
/// An input is "much longer" than the training clips above this multiple of their 95th
/// percentile duration.
pub const LONG_FACTOR: f32 = 4.0;
/// An input's typical window level this many dB outside the training windows' 5th-95th
/// percentile range is "far outside" it.
pub const LEVEL_MARGIN_DB: f32 = 15.0;
/// An input recorded with a bandwidth (half its sample rate) below this share of the band the
/// model saw in training is "far below" it: the missing band is empty in every window.
pub const BANDWIDTH_SHARE: f32 = 0.9;

/// Order statistics of a set of values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Smallest value.
    pub min: f32,
    /// 5th percentile (nearest rank).
    pub p05: f32,
    /// Median (nearest rank).
    pub median: f32,
    /// 95th percentile (nearest rank).
    pub p95: f32,
    /// Largest value.
    pub max: f32,
}

impl Spread {
    /// The spread of the finite `values`; `None` when there are none.
    pub fn of(values: impl IntoIterator<Item = f32>) -> Option<Spread> {
        let mut v: Vec<f32> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f32::total_cmp);
        // Nearest-rank percentile: the smallest value with at least q of the values at or
        // below it.
        let rank = |q: f32| {
            let k = (q * v.len() as f32).ceil() as usize;
            v[k.clamp(1, v.len()) - 1]
        };
        Some(Spread {
            min: v[0],
            p05: rank(0.05),
            median: rank(0.5),
            p95: rank(0.95),
            max: v[v.len() - 1],
        })
    }
}

/// The training clips' recording rates, durations and levels (stored in the model file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputProfile {
    /// Clips described.
    pub clips: usize,
    /// The distinct sample rates the training files were recorded at (before resampling to
    /// the model's rate), ascending.
    pub sample_rates: Vec<u32>,
    /// Clip durations in seconds.
    pub duration_s: Option<Spread>,
    /// Mean energy of the clips' non-silent analysis windows, in dBFS.
    pub level_dbfs: Option<Spread>,
}

/// What is known about one input to compare with an [`InputProfile`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InputStats {
    /// The file's own sample rate (before resampling), when known.
    pub sample_rate: Option<u32>,
    /// Duration in seconds.
    pub duration_s: f32,
    /// Median energy of its non-silent windows in dBFS, when it has any.
    pub level_dbfs: Option<f32>,
}

impl InputProfile {
    /// Warnings, in words, for each way `input` is far from the training clips; empty when it
    /// is within the margins. `model_sr` is the rate the model's features are computed at.
    pub fn check(&self, input: &InputStats, model_sr: u32) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(rate) = input.sample_rate {
            // The band the model saw: up to the lowest training recording's Nyquist, and at
            // most the model's own.
            let trained_rate = self
                .sample_rates
                .first()
                .map_or(model_sr, |&r| r.min(model_sr));
            if (rate as f32) < BANDWIDTH_SHARE * trained_rate as f32 {
                out.push(format!(
                    "recorded at {rate} Hz, so nothing above {} Hz: the model was trained on audio with content up to {} Hz ({}); its scores on this file may be meaningless",
                    rate / 2,
                    trained_rate / 2,
                    rates_in_words(&self.sample_rates)
                ));
            }
        }
        if let Some(d) = &self.duration_s {
            let x = input.duration_s;
            if x < SHORT_FACTOR * d.p05 {
                out.push(format!(
                    "{x:.2} s long, much shorter than the training clips ({:.2} to {:.2} s, 5th to 95th percentile)",
                    d.p05, d.p95
                ));
            } else if x > LONG_FACTOR * d.p95 {
                out.push(format!(
                    "{x:.1} s long, much longer than the training clips ({:.2} to {:.2} s, 5th to 95th percentile): one label for the whole file pools every window; cut a long recording into clips the length of the training ones",
                    d.p05, d.p95
                ));
            }
        }
        if let (Some(l), Some(x)) = (&self.level_dbfs, input.level_dbfs) {
            if x < l.p05 - LEVEL_MARGIN_DB {
                out.push(format!(
                    "level {x:.0} dBFS, far below the training audio ({:.0} to {:.0} dBFS per window, 5th to 95th percentile)",
                    l.p05, l.p95
                ));
            } else if x > l.p95 + LEVEL_MARGIN_DB {
                out.push(format!(
                    "level {x:.0} dBFS, far above the training audio ({:.0} to {:.0} dBFS per window, 5th to 95th percentile)",
                    l.p05, l.p95
                ));
            }
        }
        out
    }
}

fn rates_in_words(rates: &[u32]) -> String {
    match rates {
        [] => "training rates not recorded".into(),
        [r] => format!("training files recorded at {r} Hz"),
        _ => format!(
            "training files recorded at {} Hz",
            rates
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A naive percentile for checking: sort, then index by nearest rank.
    fn nearest_rank(v: &[f32], q: f64) -> f32 {
        let mut s = v.to_vec();
        s.sort_by(f32::total_cmp);
        let k = ((q * s.len() as f64).ceil() as usize).max(1);
        s[k - 1]
    }

    #[test]
    fn spread_matches_nearest_rank_percentiles() {
        let v: Vec<f32> = (0..37).map(|i| ((i * 17) % 37) as f32 * 0.5).collect();
        let s = Spread::of(v.iter().copied().chain([f32::NAN])).expect("values");
        assert_eq!(s.min, 0.0);
        assert_eq!(s.max, 18.0);
        assert_eq!(s.p05, nearest_rank(&v, 0.05));
        assert_eq!(s.median, nearest_rank(&v, 0.5));
        assert_eq!(s.p95, nearest_rank(&v, 0.95));
        assert!(Spread::of([f32::NAN]).is_none());
    }

    fn profile() -> InputProfile {
        InputProfile {
            clips: 100,
            sample_rates: vec![44_100],
            duration_s: Spread::of((0..100).map(|i| 4.0 + i as f32 * 0.01)),
            level_dbfs: Spread::of((0..100).map(|i| -40.0 + i as f32 * 0.2)),
        }
    }

    #[test]
    fn inputs_like_the_training_clips_give_no_warning() {
        let ok = InputStats {
            sample_rate: Some(48_000),
            duration_s: 5.0,
            level_dbfs: Some(-30.0),
        };
        assert!(profile().check(&ok, 22_050).is_empty());
        // 20 kHz still covers 90% of the 22.05 kHz model's band.
        let near = InputStats {
            sample_rate: Some(20_000),
            ..ok
        };
        assert!(profile().check(&near, 22_050).is_empty());
    }

    #[test]
    fn each_difference_is_named() {
        let p = profile();
        let w = p.check(
            &InputStats {
                sample_rate: Some(8_000),
                duration_s: 5.0,
                level_dbfs: Some(-30.0),
            },
            22_050,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("8000 Hz") && w[0].contains("4000 Hz"),
            "{w:?}"
        );
        assert!(w[0].contains("11025 Hz"), "model band, not 22050: {w:?}");

        let short = p.check(
            &InputStats {
                duration_s: 1.0,
                ..Default::default()
            },
            22_050,
        );
        assert!(short[0].contains("shorter"), "{short:?}");
        let long = p.check(
            &InputStats {
                duration_s: 3600.0,
                ..Default::default()
            },
            22_050,
        );
        assert!(long[0].contains("longer"), "{long:?}");
        // Just inside the margins: nothing.
        let (d, l) = (p.duration_s.expect("d"), p.level_dbfs.expect("l"));
        let edge = p.check(
            &InputStats {
                duration_s: LONG_FACTOR * d.p95 - 0.01,
                level_dbfs: Some(l.p05 - LEVEL_MARGIN_DB + 0.1),
                ..Default::default()
            },
            22_050,
        );
        assert!(edge.is_empty(), "{edge:?}");
        let quiet = p.check(
            &InputStats {
                duration_s: 5.0,
                level_dbfs: Some(-80.0),
                ..Default::default()
            },
            22_050,
        );
        assert!(quiet[0].contains("far below"), "{quiet:?}");
        let loud = p.check(
            &InputStats {
                duration_s: 5.0,
                level_dbfs: Some(0.0),
                ..Default::default()
            },
            22_050,
        );
        assert!(loud[0].contains("far above"), "{loud:?}");
    }
}
