//! Window augmentation (train stage): SpecAugment masks and mixup, applied to each
//! mini-batch as the training loop builds it. Every example draws from its own random
//! stream, derived from (seed, epoch, window, transform), so the augmented batches do not
//! depend on thread count, batch order or the other transforms.
//!
//! Only the transforms that work on finished log-mel windows are here. Time shift,
//! stretch, pitch, gain, noise and background mixing need each clip's whole signal or
//! log-mel matrix at batch time; the feature cache does not keep that yet.

use serde::{Deserialize, Serialize};

use crate::TrainError;

mod apply;
#[cfg(test)]
mod tests;

pub use apply::{Applied, Augmenter, Mixed};

/// Which augmentations training applies; all off by default. Saved in the model file with
/// the rest of [`crate::TrainConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AugmentConfig {
    /// SpecAugment frequency masks (Park et al. 2019).
    pub freq_mask: Option<FreqMask>,
    /// SpecAugment time masks.
    pub time_mask: Option<TimeMask>,
    /// mixup (Zhang et al. 2018): mix two windows and their targets.
    pub mixup: Option<Mixup>,
}

/// Up to `count` bands of up to `max_bands` adjacent mel bands each, set to the window's mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreqMask {
    /// Probability that a window gets these masks. Default 1.
    pub p: f32,
    /// Masks per window. Default 2.
    pub count: usize,
    /// Largest mask width in mel bands (each width is uniform in `0..=max_bands`). Default 8.
    pub max_bands: usize,
}

impl Default for FreqMask {
    fn default() -> Self {
        FreqMask {
            p: 1.0,
            count: 2,
            max_bands: 8,
        }
    }
}

/// Up to `count` spans of up to `max_fraction` of the window's frames each, set to the
/// window's mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeMask {
    /// Probability that a window gets these masks. Default 1.
    pub p: f32,
    /// Masks per window. Default 2.
    pub count: usize,
    /// Largest mask width as a share of the window's frames (rounded down). Default 0.25.
    pub max_fraction: f32,
}

impl Default for TimeMask {
    fn default() -> Self {
        TimeMask {
            p: 1.0,
            count: 2,
            max_fraction: 0.25,
        }
    }
}

/// mixup: with probability `p`, a window becomes `lambda * x + (1 - lambda) * x_other`
/// for another window of the same batch, `lambda ~ Beta(alpha, alpha)`, and its target
/// mixes the two labels in the same proportion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mixup {
    /// Probability that a window is mixed. Default 1.
    pub p: f32,
    /// Beta distribution parameter. Default 0.2.
    pub alpha: f32,
}

impl Default for Mixup {
    fn default() -> Self {
        Mixup { p: 1.0, alpha: 0.2 }
    }
}

/// The names [`AugmentConfig::parse`] refuses because they need whole clips at batch time.
const NEEDS_CLIPS: [&str; 6] = ["shift", "stretch", "pitch", "gain", "noise", "bg"];

impl AugmentConfig {
    /// True when no augmentation is on.
    pub fn is_off(&self) -> bool {
        *self == AugmentConfig::default()
    }

    /// Parse the command-line spelling: comma-separated `NAME[=ARGS][@P]` items.
    ///
    /// - `specaugment`: `freqmask` and `timemask` with their defaults;
    /// - `freqmask[=COUNTxBANDS]`, e.g. `freqmask=2x8`;
    /// - `timemask[=COUNTxPERCENT%]`, e.g. `timemask=2x25%` (or a fraction, `2x0.25`);
    /// - `mixup[=ALPHA]`, e.g. `mixup=0.2`;
    /// - `@P` after any item sets the probability it is applied to a window (default 1).
    ///
    /// `none` or an empty string is no augmentation.
    pub fn parse(spec: &str) -> Result<AugmentConfig, TrainError> {
        let mut cfg = AugmentConfig::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (body, p) = match item.split_once('@') {
                Some((b, p)) => (b, Some(parse_num::<f32>(item, p)?)),
                None => (item, None),
            };
            let (name, args) = match body.split_once('=') {
                Some((n, a)) => (n.trim(), Some(a.trim())),
                None => (body.trim(), None),
            };
            match (name.to_ascii_lowercase().as_str(), args) {
                ("none", None) => {}
                ("specaugment", None) => {
                    cfg.freq_mask = Some(FreqMask {
                        p: p.unwrap_or(1.0),
                        ..FreqMask::default()
                    });
                    cfg.time_mask = Some(TimeMask {
                        p: p.unwrap_or(1.0),
                        ..TimeMask::default()
                    });
                }
                ("freqmask", a) => {
                    let mut m = FreqMask::default();
                    if let Some(a) = a {
                        let (c, w) = count_x(item, a)?;
                        (m.count, m.max_bands) = (c, parse_num(item, w)?);
                    }
                    m.p = p.unwrap_or(1.0);
                    cfg.freq_mask = Some(m);
                }
                ("timemask", a) => {
                    let mut m = TimeMask::default();
                    if let Some(a) = a {
                        let (c, w) = count_x(item, a)?;
                        m.count = c;
                        m.max_fraction = match w.strip_suffix('%') {
                            Some(pct) => parse_num::<f32>(item, pct)? / 100.0,
                            None => parse_num(item, w)?,
                        };
                    }
                    m.p = p.unwrap_or(1.0);
                    cfg.time_mask = Some(m);
                }
                ("mixup", a) => {
                    let alpha = a.map(|a| parse_num(item, a)).transpose()?;
                    cfg.mixup = Some(Mixup {
                        p: p.unwrap_or(1.0),
                        alpha: alpha.unwrap_or(Mixup::default().alpha),
                    });
                }
                (n, _) if NEEDS_CLIPS.contains(&n) => {
                    return Err(TrainError::setting(
                        "augment",
                        format!(
                            "'{n}' is not available yet: it needs each clip's whole audio or \
                             log-mel matrix at batch time, which the feature cache does not keep; \
                             available: specaugment, freqmask, timemask, mixup"
                        ),
                    ));
                }
                _ => {
                    return Err(TrainError::setting(
                        "augment",
                        format!(
                            "'{item}' is not an augmentation; expected specaugment, \
                             freqmask[=COUNTxBANDS], timemask[=COUNTxPERCENT%] or mixup[=ALPHA], \
                             each optionally followed by @P"
                        ),
                    ));
                }
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The spelling [`AugmentConfig::parse`] reads back to this configuration (`none` when off).
    pub fn to_spec(&self) -> String {
        let mut items = Vec::new();
        if let Some(m) = &self.freq_mask {
            items.push(format!("freqmask={}x{}@{}", m.count, m.max_bands, m.p));
        }
        if let Some(m) = &self.time_mask {
            items.push(format!("timemask={}x{}@{}", m.count, m.max_fraction, m.p));
        }
        if let Some(m) = &self.mixup {
            items.push(format!("mixup={}@{}", m.alpha, m.p));
        }
        if items.is_empty() {
            "none".into()
        } else {
            items.join(",")
        }
    }

    /// Check every setting's range.
    pub fn validate(&self) -> Result<(), TrainError> {
        let prob = |name: &'static str, p: f32| {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(TrainError::setting(
                    name,
                    format!("probability must be in [0, 1], got {p}"),
                ))
            }
        };
        if let Some(m) = &self.freq_mask {
            prob("augment.freq_mask.p", m.p)?;
        }
        if let Some(m) = &self.time_mask {
            prob("augment.time_mask.p", m.p)?;
            if !(m.max_fraction > 0.0 && m.max_fraction <= 1.0) {
                return Err(TrainError::setting(
                    "augment.time_mask.max_fraction",
                    format!("must be in (0, 1] (0% to 100%], got {}", m.max_fraction),
                ));
            }
        }
        if let Some(m) = &self.mixup {
            prob("augment.mixup.p", m.p)?;
            if !(m.alpha.is_finite() && m.alpha > 0.0) {
                return Err(TrainError::setting(
                    "augment.mixup.alpha",
                    format!("must be a positive number, got {}", m.alpha),
                ));
            }
        }
        Ok(())
    }
}

fn parse_num<T: std::str::FromStr>(item: &str, s: &str) -> Result<T, TrainError> {
    s.trim().parse().map_err(|_| {
        TrainError::setting(
            "augment",
            format!("'{item}': '{s}' is not a number of the expected kind"),
        )
    })
}

fn count_x<'a>(item: &str, args: &'a str) -> Result<(usize, &'a str), TrainError> {
    let (c, w) = args.split_once(['x', 'X']).ok_or_else(|| {
        TrainError::setting(
            "augment",
            format!("'{item}': expected COUNTxWIDTH, e.g. 2x8"),
        )
    })?;
    Ok((parse_num(item, c)?, w))
}
