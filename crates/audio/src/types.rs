//! Audio-input stage (audio -> features -> ...): the decoded-audio type, load options in
//! librosa's vocabulary, and the channel downmix.

use crate::{AudioError, AudioWarning};

/// Options for [`crate::load`], named as in `librosa.load`.
///
/// | field | librosa | default |
/// |---|---|---|
/// | `sr` | `sr` | `None`: keep the file's native rate (librosa's default is 22050; pass it explicitly) |
/// | `mono` | `mono` | `true`: mean of the channels |
/// | `offset` | `offset` | `0.0` s |
/// | `duration` | `duration` | `None`: to the end |
///
/// The time range is converted to frames at the native rate as librosa does:
/// `start = round(offset * sr_native)`, `len = round(duration * sr_native)`.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Target sample rate in Hz; `None` keeps the native rate.
    pub sr: Option<u32>,
    /// Downmix to one channel (mean of channels).
    pub mono: bool,
    /// Start reading this many seconds into the file (>= 0).
    pub offset: f64,
    /// Read at most this many seconds (> 0); `None` reads to the end.
    pub duration: Option<f64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            sr: None,
            mono: true,
            offset: 0.0,
            duration: None,
        }
    }
}

impl LoadOptions {
    /// Check the options; returns [`AudioError::InvalidParameter`] naming the bad field.
    pub fn validate(&self) -> Result<(), AudioError> {
        if let Some(sr) = self.sr
            && sr == 0
        {
            return Err(AudioError::param(
                "sr",
                sr,
                "the target sample rate must be > 0 Hz",
            ));
        }
        if !self.offset.is_finite() || self.offset < 0.0 {
            return Err(AudioError::param(
                "offset",
                self.offset,
                "must be a finite number of seconds >= 0",
            ));
        }
        if let Some(d) = self.duration
            && (!d.is_finite() || d <= 0.0)
        {
            return Err(AudioError::param(
                "duration",
                d,
                "must be a finite number of seconds > 0, or None",
            ));
        }
        Ok(())
    }
}

/// Decoded audio.
///
/// `samples` holds `frames() * channels` values in `[-1, 1]`, interleaved
/// (`[l0, r0, l1, r1, ...]`) when `channels > 1`. Integer PCM is scaled by `1 / 2^(bits-1)`
/// (e.g. int16 `x` becomes `x / 32768`), exactly like libsndfile/librosa.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Interleaved samples, shape `[frames, channels]` flattened row-major.
    pub samples: Vec<f32>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Number of channels (>= 1).
    pub channels: usize,
    /// What the decode worked around (placeholder WAV sizes, skipped lossy packets, a truncated
    /// lossy stream); empty for a clean file. Display names the problem, not the file.
    pub warnings: Vec<AudioWarning>,
}

impl Audio {
    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1)
    }

    /// Length in seconds.
    pub fn duration(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.frames() as f64 / f64::from(self.sample_rate)
    }

    /// A mono copy (mean of channels); a plain clone when already mono.
    pub fn to_mono(&self) -> Audio {
        Audio {
            samples: downmix(&self.samples, self.channels),
            sample_rate: self.sample_rate,
            channels: 1,
            warnings: self.warnings.clone(),
        }
    }
}

/// Mean of the channels of interleaved audio.
///
/// Input shape `[frames, channels]` flattened; output shape `[frames]`. A trailing partial frame
/// is dropped. `channels <= 1` returns a copy.
pub fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(interleaved.len() / channels.max(1));
    downmix_into(interleaved, channels, &mut out);
    out
}

/// Like [`downmix`] but appends to `out` (no allocation when `out` has capacity).
pub fn downmix_into(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    match channels {
        0 | 1 => out.extend_from_slice(interleaved),
        // Scale before summing: a float file with samples near f32::MAX must not overflow
        // to infinity in the mean (found by the decode_any fuzz target).
        2 => out.extend(interleaved.chunks_exact(2).map(|f| f[0] * 0.5 + f[1] * 0.5)),
        c => {
            let scale = 1.0 / c as f32;
            out.extend(
                interleaved
                    .chunks_exact(c)
                    .map(|f| f.iter().map(|x| x * scale).sum::<f32>()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scaling each channel before summing rounds differently from sum-then-scale.
    const MEAN_TOL: f32 = 1e-6;

    #[test]
    fn downmix_is_mean_of_channels() {
        let x = [1.0, 0.0, 0.5, -0.5, 0.25, 0.75];
        assert_eq!(downmix(&x, 2), vec![0.5, 0.0, 0.5]);
        let three = downmix(&x, 3);
        assert_eq!(three.len(), 2);
        for (got, want) in three.iter().zip([0.5_f32, 0.5 / 3.0]) {
            assert!((got - want).abs() <= MEAN_TOL, "{got} vs {want}");
        }
        assert_eq!(downmix(&x, 1), x.to_vec());
    }

    /// Regression (fuzz decode_any): huge finite samples must not downmix to infinity.
    #[test]
    fn downmix_of_huge_samples_stays_finite() {
        let x = [3e38_f32, 3e38, -3e38, -3e38, 3e38, 3e38];
        assert!(downmix(&x, 2).iter().all(|v| v.is_finite()));
        assert!(downmix(&x, 3).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn options_are_validated() {
        let bad = [
            LoadOptions {
                sr: Some(0),
                ..Default::default()
            },
            LoadOptions {
                offset: -1.0,
                ..Default::default()
            },
            LoadOptions {
                offset: f64::NAN,
                ..Default::default()
            },
            LoadOptions {
                duration: Some(0.0),
                ..Default::default()
            },
        ];
        for o in bad {
            assert!(
                matches!(o.validate(), Err(AudioError::InvalidParameter { .. })),
                "{o:?}"
            );
        }
        assert!(LoadOptions::default().validate().is_ok());
    }
}
