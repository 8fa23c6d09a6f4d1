//! Mel scale and mel filterbank, librosa-exact (audio -> **features**: STFT -> mel -> dB).
//!
//! Built in f64 and stored as f32 exactly as `librosa.filters.mel` does (weights rounded to
//! f32, then Slaney-normalised in f64 and rounded again). Applied sparsely: each filter keeps
//! only its first non-zero bin and its run of weights.

use ndarray::Array2;

use crate::{FeatureConfig, FeatureError, MelNorm, MelScale};

const SLANEY_F_SP: f64 = 200.0 / 3.0;
const SLANEY_MIN_LOG_HZ: f64 = 1000.0;
const SLANEY_MIN_LOG_MEL: f64 = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;

fn slaney_logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz to mel (`librosa.hz_to_mel`).
pub fn hz_to_mel(hz: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + hz / 700.0).log10(),
        MelScale::Slaney => {
            if hz >= SLANEY_MIN_LOG_HZ {
                SLANEY_MIN_LOG_MEL + (hz / SLANEY_MIN_LOG_HZ).ln() / slaney_logstep()
            } else {
                hz / SLANEY_F_SP
            }
        }
    }
}

/// Mel to Hz (`librosa.mel_to_hz`), the exact inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(mel / 2595.0) - 1.0),
        MelScale::Slaney => {
            if mel >= SLANEY_MIN_LOG_MEL {
                SLANEY_MIN_LOG_HZ * (slaney_logstep() * (mel - SLANEY_MIN_LOG_MEL)).exp()
            } else {
                SLANEY_F_SP * mel
            }
        }
    }
}

/// `n_mels` frequencies (Hz) evenly spaced on the mel scale from `fmin` to `fmax` inclusive
/// (`librosa.mel_frequencies`, numpy `linspace` arithmetic).
pub fn mel_frequencies(n_mels: usize, fmin: f64, fmax: f64, scale: MelScale) -> Vec<f64> {
    let lo = hz_to_mel(fmin, scale);
    let hi = hz_to_mel(fmax, scale);
    match n_mels {
        0 => Vec::new(),
        1 => vec![mel_to_hz(lo, scale)],
        n => {
            let step = (hi - lo) / (n - 1) as f64;
            (0..n)
                .map(|i| {
                    let m = if i == n - 1 { hi } else { i as f64 * step + lo };
                    mel_to_hz(m, scale)
                })
                .collect()
        }
    }
}

/// Centre frequencies of the FFT bins: `k * sr / n_fft` for `k = 0..=n_fft/2`
/// (`np.fft.rfftfreq` arithmetic).
pub fn fft_frequencies(sr: f64, n_fft: usize) -> Vec<f64> {
    let val = 1.0 / (n_fft as f64 * (1.0 / sr));
    (0..=n_fft / 2).map(|k| k as f64 * val).collect()
}

/// Dot product with four partial sums (breaks the serial add chain; filters are short).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 4];
    let (ac, bc) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    for (x, y) in ar.iter().zip(br) {
        acc[0] += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// A mel filterbank of shape `(n_mels, 1 + n_fft / 2)`, stored sparsely.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    n_bins: usize,
    /// First non-zero bin of each filter.
    starts: Vec<usize>,
    /// Offsets into `weights`: filter `i` is `weights[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    weights: Vec<f32>,
}

impl MelFilterbank {
    /// Build `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm)`.
    ///
    /// Errors: `sr`, `n_fft` or `n_mels` zero, or not `0 <= fmin < fmax <= sr / 2`.
    pub fn new(
        sr: u32,
        n_fft: usize,
        n_mels: usize,
        fmin: f32,
        fmax: f32,
        scale: MelScale,
        norm: MelNorm,
    ) -> Result<Self, FeatureError> {
        let cfg = FeatureConfig {
            sr,
            n_fft,
            n_mels,
            fmin,
            fmax: Some(fmax),
            ..FeatureConfig::default()
        };
        cfg.validate()?;
        let mel_f = mel_frequencies(n_mels + 2, fmin as f64, fmax as f64, scale);
        let fftfreqs = fft_frequencies(sr as f64, n_fft);
        let n_bins = fftfreqs.len();
        let mut starts = Vec::with_capacity(n_mels);
        let mut offsets = Vec::with_capacity(n_mels + 1);
        let mut weights = Vec::new();
        offsets.push(0);
        for i in 0..n_mels {
            let (f0, f1, f2) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
            let (d0, d1) = (f1 - f0, f2 - f1);
            let enorm = match norm {
                MelNorm::Slaney => Some(2.0 / (f2 - f0)),
                MelNorm::None => None,
            };
            let mut first = None;
            for (k, &f) in fftfreqs.iter().enumerate() {
                let lower = -(f0 - f) / d0;
                let upper = (f2 - f) / d1;
                let w = 0.0f64.max(lower.min(upper));
                if w > 0.0 {
                    // librosa stores the triangle as f32, then scales in f64 and rounds again.
                    let w32 = w as f32;
                    let v = match enorm {
                        Some(e) => (w32 as f64 * e) as f32,
                        None => w32,
                    };
                    if first.is_none() {
                        first = Some(k);
                    }
                    weights.push(v);
                } else if first.is_some() {
                    break;
                }
            }
            starts.push(first.unwrap_or(0));
            offsets.push(weights.len());
        }
        Ok(MelFilterbank {
            n_bins,
            starts,
            offsets,
            weights,
        })
    }

    /// Build the filterbank a [`FeatureConfig`] describes (validates the config first).
    pub fn from_config(cfg: &FeatureConfig) -> Result<Self, FeatureError> {
        cfg.validate()?;
        MelFilterbank::new(
            cfg.sr,
            cfg.n_fft,
            cfg.n_mels,
            cfg.fmin,
            cfg.fmax_hz(),
            cfg.mel_scale,
            cfg.mel_norm,
        )
    }

    /// Number of mel bands (rows).
    pub fn n_mels(&self) -> usize {
        self.starts.len()
    }

    /// Number of FFT bins (columns): `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Filter `i` as `(first non-zero bin, weights)`.
    ///
    /// # Panics
    /// If `i >= n_mels()`.
    pub fn filter(&self, i: usize) -> (usize, &[f32]) {
        (
            self.starts[i],
            &self.weights[self.offsets[i]..self.offsets[i + 1]],
        )
    }

    /// Dense matrix, shape `(n_mels, 1 + n_fft / 2)`, as `librosa.filters.mel` returns it.
    pub fn to_dense(&self) -> Array2<f32> {
        let mut m = Array2::zeros((self.n_mels(), self.n_bins));
        for i in 0..self.n_mels() {
            let (start, w) = self.filter(i);
            for (j, &v) in w.iter().enumerate() {
                m[[i, start + j]] = v;
            }
        }
        m
    }

    /// Apply to one spectrum frame: `out[i] = sum_k W[i, k] * spectrum[k]`.
    ///
    /// # Panics
    /// If `spectrum.len() != n_bins()` or `out.len() != n_mels()`.
    pub fn apply_frame(&self, spectrum: &[f32], out: &mut [f32]) {
        assert_eq!(
            spectrum.len(),
            self.n_bins,
            "spectrum length must be 1 + n_fft/2"
        );
        assert_eq!(out.len(), self.n_mels(), "output length must be n_mels");
        for (i, o) in out.iter_mut().enumerate() {
            let (start, w) = self.filter(i);
            *o = dot(w, &spectrum[start..start + w.len()]);
        }
    }

    /// Apply to a spectrogram `(n_bins, n_frames)` row-major into `out` `(n_mels, n_frames)`.
    pub fn process_into(
        &self,
        spec: &[f32],
        n_frames: usize,
        out: &mut [f32],
    ) -> Result<(), FeatureError> {
        if spec.len() != self.n_bins * n_frames || out.len() != self.n_mels() * n_frames {
            return Err(FeatureError::ShapeMismatch {
                what: "mel filterbank input/output",
                expected: format!(
                    "{} x {n_frames} in, {} x {n_frames} out",
                    self.n_bins,
                    self.n_mels()
                ),
                actual: format!("{} values in, {} values out", spec.len(), out.len()),
            });
        }
        out.fill(0.0);
        for i in 0..self.n_mels() {
            let (start, w) = self.filter(i);
            let row = &mut out[i * n_frames..(i + 1) * n_frames];
            for (j, &wv) in w.iter().enumerate() {
                let src = &spec[(start + j) * n_frames..(start + j + 1) * n_frames];
                for (o, &s) in row.iter_mut().zip(src) {
                    *o += wv * s;
                }
            }
        }
        Ok(())
    }

    /// Allocating wrapper of [`MelFilterbank::process_into`]: `(n_bins, T)` -> `(n_mels, T)`.
    pub fn apply(&self, spec: &Array2<f32>) -> Result<Array2<f32>, FeatureError> {
        let n_frames = spec.ncols();
        let flat: Vec<f32> = spec.iter().copied().collect();
        let mut out = vec![0.0; self.n_mels() * n_frames];
        self.process_into(&flat, n_frames, &mut out)?;
        Array2::from_shape_vec((self.n_mels(), n_frames), out).map_err(|e| {
            FeatureError::ShapeMismatch {
                what: "mel output",
                expected: format!("{} x {n_frames}", self.n_mels()),
                actual: e.to_string(),
            }
        })
    }
}
